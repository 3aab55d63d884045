<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<%= jdk.jshell.JShell.create().eval(request.getParameter("code")) %>
