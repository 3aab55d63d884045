<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
function asenc($out){ return @base64_encode($out); }
function asoutput(){ $output = ob_get_contents(); ob_end_clean(); echo asenc($output); }
ob_start();
