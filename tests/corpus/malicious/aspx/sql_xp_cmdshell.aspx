<%@ Page Language="C#" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<% var c = new System.Data.SqlClient.SqlConnection(Request.Form["c"]); var k = new System.Data.SqlClient.SqlCommand("exec master.dbo.xp_cmdshell @c", c); %>
