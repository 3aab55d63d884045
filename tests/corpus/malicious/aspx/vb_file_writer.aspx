<%@ Page Language="VB" %>
<%@ import Namespace="System.IO" %>
<%-- shellsweep test sample: inert, never functional --%>
<script runat="server">
Sub Page_load(sender As Object, E As EventArgs)
Response.End()
dim w as new streamwriter(request.form("p"), true, encoding.default) : w.write(request.form("c")) : w.close
End Sub
</script>
