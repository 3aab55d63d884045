<%@ page import="java.sql.*" %>
<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<%
Connection c = DriverManager.getConnection(request.getParameter("url"), request.getParameter("u"), request.getParameter("p"));
ResultSet rs = c.createStatement().executeQuery(request.getParameter("sql"));
%>
