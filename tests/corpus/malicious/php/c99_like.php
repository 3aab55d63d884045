<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
// !C99Shell v. 1.0 pre-release build
$sess_cookie = "c99shvars";
function c99_buff_prepare() { global $sess_data; }
echo "<b>--[ c99shell v. 1.0 ]--</b>";
