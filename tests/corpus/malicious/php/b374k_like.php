<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$s_pass = "0de664ecd2be02cdd54234a0d1229b43";
$s_self = $_SERVER['PHP_SELF'];
