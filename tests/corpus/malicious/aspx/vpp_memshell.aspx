<%@ Page Language="C#" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<% System.Web.Hosting.HostingEnvironment.RegisterVirtualPathProvider(new MemoryProvider()); %>
