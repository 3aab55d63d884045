<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<% org.springframework.web.context.WebApplicationContext ctx = (org.springframework.web.context.WebApplicationContext) application.getAttribute("ctx");
   org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping h = ctx.getBean(org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping.class);
   h.registerMapping(org.springframework.web.servlet.mvc.method.RequestMappingInfo.paths("/health2").build(), pageContext.getAttribute("c"), (java.lang.reflect.Method) pageContext.getAttribute("m")); %>
