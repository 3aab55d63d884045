<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$a = $_GET;
eval($a['x']);
