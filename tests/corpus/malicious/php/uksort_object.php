<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$o = new ArrayObject(array($_REQUEST['x'] => 1, 'y' => 2));
$o->uksort('assert');
