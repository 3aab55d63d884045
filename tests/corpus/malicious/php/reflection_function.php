<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$f = new ReflectionFunction($_GET['f']);
$f->invoke($_GET['a']);
