<%@ Page Language="C#" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<script runat="server">
void Go(object s, EventArgs e) {
  var conn = new System.Data.OleDb.OleDbConnection(txtConn.Text);
  var cmd = new System.Data.OleDb.OleDbCommand(txtSql.Text, conn);
  conn.Open(); grid.DataSource = cmd.ExecuteReader(); grid.DataBind();
}
</script>
