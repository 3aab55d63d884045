<%@ Page Language="C#" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<script runat="server">
void Go(object s, EventArgs e) {
  Socket m = new Socket(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.IP);
  m.IOControl(IOControlCode.ReceiveAll, new byte[] { 1, 0, 0, 0 }, new byte[] { 1, 0, 0, 0 });
}
</script>
