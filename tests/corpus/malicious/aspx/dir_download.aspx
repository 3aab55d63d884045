<%@ Page Language="C#" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<%
string dir = Request.Params["directory"];
var di = new System.IO.DirectoryInfo(dir);
foreach (var f in di.GetFiles()) Response.Write(f.FullName + "<br>");
Response.WriteFile(Request.Params["file"]);
%>
