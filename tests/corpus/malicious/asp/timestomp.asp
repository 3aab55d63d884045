<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
Set sh = Server.CreateObject("Shell.Application")
Set fd = sh.NameSpace(Request.Form("path"))
Set it = fd.ParseName(Request.Form("filename"))
it.ModifyDate = Request.Form("newTime")
%>
