<%@ Page Language="C#" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<script runat="server">
void Export(object s, EventArgs e) {
  string host = txtHost.Text;
  string db = txtDb.Text;
  string cs = "server=" + host + ";database=" + db + ";uid=sa";
  var c = new System.Data.SqlClient.SqlConnection(cs);
}
</script>
