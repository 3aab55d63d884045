<%@ Page Language="C#" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<script runat="server">
string Up() {
  HttpPostedFile f = Request.Files[0]; byte[] b = new byte[f.ContentLength]; f.InputStream.Read(b, 0, b.Length);
  using (var fs = new System.IO.FileStream(System.IO.Path.Combine(Server.MapPath("."), System.IO.Path.GetFileName(f.FileName)), System.IO.FileMode.Create)) { fs.Write(b, 0, b.Length); }
  return "ok";
}
</script>
