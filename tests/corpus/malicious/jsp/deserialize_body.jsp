<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<% Object o = new java.io.ObjectInputStream(request.getInputStream()).readObject(); %>
