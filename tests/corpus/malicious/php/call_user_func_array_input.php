<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
call_user_func_array($_GET['a'], array($_GET['b']));
