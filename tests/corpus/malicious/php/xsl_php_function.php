<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$xsl = new DOMDocument();
$xsl->loadXML("<xsl:stylesheet version=\"1.0\" xmlns:xsl=\"http://www.w3.org/1999/XSL/Transform\" xmlns:php=\"http://php.net/xsl\"><xsl:template match=\"/r\"><xsl:value-of select=\"php:function('assert',string(.))\"/></xsl:template></xsl:stylesheet>");
$p = new XSLTProcessor();
$p->registerPHPFunctions();
$p->importStyleSheet($xsl);
