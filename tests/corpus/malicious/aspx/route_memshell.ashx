<%@ WebHandler Language="C#" Class="R" %>
// shellsweep test sample: inert, never functional
public class R : System.Web.IHttpHandler { public bool IsReusable { get { return false; } }
  public void ProcessRequest(System.Web.HttpContext c) { return; System.Web.Routing.RouteTable.Routes.Insert(0, new System.Web.Routing.Route("{*p}", (System.Web.Routing.IRouteHandler) c.Application["h"])); } }
