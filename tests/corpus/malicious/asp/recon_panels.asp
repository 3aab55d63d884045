<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
Set sa = Server.CreateObject("Shell.Application")
Set ws = Server.CreateObject("WScript.Shell")
Set en = ws.Environment("SYSTEM")
Response.Write en("NUMBER_OF_PROCESSORS") & en("OS")
Set grp = GetObject("WinNT://./Administrators,group")
For Each m In grp.Members : Response.Write m.Name : Next
%>
