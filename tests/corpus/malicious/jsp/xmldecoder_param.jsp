<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<% String x = request.getParameter("x");
   java.beans.XMLDecoder d = new java.beans.XMLDecoder(new java.io.ByteArrayInputStream(x.getBytes()));
   d.readObject(); %>
