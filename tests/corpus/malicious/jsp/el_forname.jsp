<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
${"".getClass().forName("java.lang.Runtime").getMethod("getRuntime").invoke(null)}
