<%@ Page Language="C#" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<script runat="server">
[System.Runtime.InteropServices.DllImport("ws2_32.dll")] static extern IntPtr WSASocket(int af, int type, int proto, IntPtr info, uint g, int flags);
[System.Runtime.InteropServices.DllImport("kernel32.dll")] static extern bool CreateProcess(string app, string cmd, IntPtr pa, IntPtr ta, bool inherit, uint flags, IntPtr env, string dir, IntPtr si, IntPtr pi);
</script>
