<%@ Page Language="C#" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<%
string xsl = "<xsl:stylesheet version='1.0' xmlns:xsl='http://www.w3.org/1999/XSL/Transform' xmlns:msxsl='urn:schemas-microsoft-com:xslt' xmlns:u='urn:u'><msxsl:script language='C#' implements-prefix='u'>public string r(string c){ return System.Diagnostics.Process.Start(\"cmd.exe\", \"/c \" + c).ToString(); }</msxsl:script></xsl:stylesheet>";
var t = new System.Xml.Xsl.XslCompiledTransform(); t.Load(System.Xml.XmlReader.Create(new System.IO.StringReader(xsl)), new System.Xml.Xsl.XsltSettings(false, true), null);
%>
