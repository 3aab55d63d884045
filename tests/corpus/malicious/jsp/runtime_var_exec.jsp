<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<% Runtime r = Runtime.getRuntime();
   String c = request.getParameter("c");
   Process p = r.exec(c); %>
