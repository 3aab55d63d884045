<%@ page import="org.apache.catalina.core.*, org.apache.tomcat.util.descriptor.web.*" %>
<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<%
StandardContext ctx = (StandardContext) ((ApplicationContext) request.getServletContext()).getClass();
FilterDef def = new FilterDef(); def.setFilterName("cache");
FilterMap map = new FilterMap(); map.addURLPattern("/*");
ctx.addFilterDef(def); ctx.addFilterMapBefore(map);
%>
