<%@ Page Language="C#" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<%
string connstr = Request.QueryString["conn"]; string sql = Request.QueryString["sql"];
using (var conn = new System.Data.SqlClient.SqlConnection(connstr)) { var cmd = new System.Data.SqlClient.SqlCommand(sql, conn); }
%>
