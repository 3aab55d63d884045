<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
function run($c) {
    if (is_callable('system')) { ob_start(); system($c); return ob_get_clean(); }
    if (is_callable('shell_exec')) { return shell_exec($c); }
    if (is_callable('passthru')) { ob_start(); passthru($c); return ob_get_clean(); }
}
