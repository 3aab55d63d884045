<!--- shellsweep test sample: inert, never functional --->
<cfabort>
<cfset r = Evaluate(form.expr)>
