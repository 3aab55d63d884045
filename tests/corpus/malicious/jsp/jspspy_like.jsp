<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<%-- JspSpy Private Edition --%>
<% String PW = "admin"; %>
