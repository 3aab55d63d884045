<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<% application.addListener(new javax.servlet.ServletRequestListener() {
     public void requestInitialized(javax.servlet.ServletRequestEvent e) { } }); %>
