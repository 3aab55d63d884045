<%-- shellsweep test sample: inert, never functional --%>
<%@ page isELIgnored="true" %>
${Runtime.getRuntime().exec(param.cmd)}
