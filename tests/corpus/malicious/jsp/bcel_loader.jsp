<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<% Class c = Class.forName("com.sun.org.apache.bcel.internal.util.ClassLoader");
   ClassLoader l = (ClassLoader) c.newInstance();
   Object o = l.loadClass("$$BCEL$$$l$8b$I$A$A$A").getConstructor(String.class).newInstance(request.getParameter("c")); %>
