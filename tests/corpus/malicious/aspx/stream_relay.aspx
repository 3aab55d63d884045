<%@ Page Language="C#" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<script runat="server">
void Relay(string ip, int port) {
  var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
  socket.BeginConnect(ip, port, null, null);
  var body = Request.InputStream; Response.OutputStream.Flush();
}
</script>
