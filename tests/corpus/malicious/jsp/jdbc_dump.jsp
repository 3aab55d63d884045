<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<% String url = request.getParameter("url"); String u = request.getParameter("u"); String p = request.getParameter("p");
   java.sql.Connection c = java.sql.DriverManager.getConnection(url, u, p);
   java.sql.ResultSet rs = c.createStatement().executeQuery("select * from users"); %>
