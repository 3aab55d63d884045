<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<% new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(java.util.Base64.getDecoder().decode("rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcAUH2sHDFmDRAwAC"))).readObject(); %>
