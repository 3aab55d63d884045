<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php @ini_set("display_errors", "0"); @set_time_limit(0); $opdir=@ini_get("open_basedir"); ?>
