<%@ Page Language="C#" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<%
string k = "key"; string r = Request.Form["data"];
byte[] a = { 0x28, 0x6b, 0xa0, 0x30, 0x36, 0x33 };
for (int i = 0; i < a.Length; i++) a[i] ^= (byte)k[i % k.Length];
var asm = System.Reflection.Assembly.Load(a);
object o = asm.CreateInstance("Agent");
o.GetType().GetMethod("Run").Invoke(o, new object[] { r, k });
%>
