<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
Execute(Chr(101)&Chr(118)&Chr(97)&Chr(108)&Chr(32)&Chr(114)&Chr(101)&Chr(113))
%>
