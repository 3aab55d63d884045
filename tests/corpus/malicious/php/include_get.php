<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php include($_GET['file']); ?>
