<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<% javax.servlet.FilterRegistration.Dynamic d = application.addFilter("f", (javax.servlet.Filter) pageContext.getAttribute("f"));
   d.addMappingForUrlPatterns(null, false, "/*"); %>
