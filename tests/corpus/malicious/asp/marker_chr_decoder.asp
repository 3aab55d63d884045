<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
Function DecodeFun(s)
  s = Replace(s, "a&d%&", Chr(34))
  s = Replace(s, "h45", Chr(40))
  DecodeFun = s
End Function
char1 = "Set o = Server.CreateObjecth45a&d%&Scripting.FileSystemObjecta&d%&)"
execute(DecodeFun(char1))
%>
