<%@ Page Language="C#" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<script runat="server">
void Save(object s, EventArgs e) {
  var fi = new System.IO.FileInfo(T1.Text);
  System.IO.StreamWriter sw = fi.CreateText(); sw.Write(T2.Text); sw.Close();
  System.IO.StreamWriter s2 = new System.IO.StreamWriter(this.txtPath.Text, true); s2.Write(this.txtBody.Text); s2.Close();
}
</script>
