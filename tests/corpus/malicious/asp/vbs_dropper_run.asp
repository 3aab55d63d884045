<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
Set fso = CreateObject("Scripting.FileSystemObject")
Set f = fso.CreateTextFile("c:\windows\temp\u.vbs", True)
f.Write "WScript.Echo 1"
f.Close
Set sh = CreateObject("WScript.Shell")
sh.Run "cscript c:\windows\temp\u.vbs", 0
%>
