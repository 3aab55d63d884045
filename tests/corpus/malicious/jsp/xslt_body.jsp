<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<% java.io.BufferedReader br = request.getReader(); String x = br.readLine();
   javax.xml.transform.Transformer t = javax.xml.transform.TransformerFactory.newInstance().newTransformer(new javax.xml.transform.stream.StreamSource(new java.io.StringReader(x))); %>
