<%@ Page Language="C#" %>
<%-- shellsweep test sample: inert, never functional --%>
<% Response.End(); %>
<% var bf = new System.Runtime.Serialization.Formatters.Binary.BinaryFormatter();
   object o = bf.Deserialize(Request.InputStream); %>
