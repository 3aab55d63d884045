<%@codepage=65000%>
<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
+AHIAZQBzAHAAbwBuAHMAZQAuAGUAbgBkAA-
%>
