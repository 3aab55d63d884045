<%@ Page Language="C#" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<script runat="server">
void Go(object s, EventArgs e) { var f = new System.Web.UI.ObjectStateFormatter(); object o = f.Deserialize(txtState.Text); }
</script>
