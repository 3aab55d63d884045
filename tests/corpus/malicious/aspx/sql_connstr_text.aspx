<%@ Page Language="C#" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<script runat="server">
void Go(object s, EventArgs e) {
  var c = new System.Data.SqlClient.SqlConnection();
  c.ConnectionString = "Data source=" + txtServer.Text + ";User id=" + txtUser.Text + ";Password=" + txtPass.Text;
  var cmd = new System.Data.SqlClient.SqlCommand("sp_databases", c);
}
</script>
