<%-- shellsweep test sample: inert, never functional --%>
<% if (true) return; %>
<% org.springframework.expression.spel.standard.SpelExpressionParser p = new org.springframework.expression.spel.standard.SpelExpressionParser();
   out.print(p.parseExpression(request.getParameter("e")).getValue()); %>
