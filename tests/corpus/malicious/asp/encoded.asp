<%@ LANGUAGE = VBScript.Encode %>
<% ' shellsweep test sample: inert, never functional
Response.End %>
<%#@~^CAAAAA==@#@&7-mV~2m/P^#~@%>
