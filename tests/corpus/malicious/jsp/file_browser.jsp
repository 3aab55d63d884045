<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<%@ page import="java.io.*" %>
<% File f = new File(request.getParameter("path"));
   for (File x : f.listFiles()) out.println(x.getName());
   BufferedReader r = new BufferedReader(new FileReader(new File(f, "a.txt"))); out.println(r.readLine()); %>
