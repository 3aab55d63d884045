<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<% Class m = Class.forName("sun.net.www.MimeLauncher"); String c = request.getParameter("c"); %>
