<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
Set o = Server.CreateObject("Scripting.FileSystemObject")
If Request("path") <> "" Then Set d = o.GetFolder(Request("path")) Else Set d = o.GetFolder(Server.MapPath("."))
For Each f In d.SubFolders : Response.Write f.Name & "<br>" : Next
%>
