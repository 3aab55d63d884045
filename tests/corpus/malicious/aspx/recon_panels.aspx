<%@ Page Language="C#" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<script runat="server">
void Info() {
  foreach (var s in System.ServiceProcess.ServiceController.GetServices()) Response.Write(s.ServiceName);
  var u = new System.DirectoryServices.DirectoryEntry("WinNT://" + Environment.MachineName + ",computer");
  var q = new System.Management.ManagementObjectSearcher("select * from Win32_OperatingSystem");
}
</script>
