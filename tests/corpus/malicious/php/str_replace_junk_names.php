<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$r = str_replace('zz', '', 'strzz_rezzplace');
$b = $r('k', '', 'kbaksek64_kdekcode');
$c = $r('k', '', 'kcreakte_fkunction');
$g = $c('', $b($blob));
$g();
