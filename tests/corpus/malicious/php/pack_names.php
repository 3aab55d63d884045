<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$p = pack('c*', 0x70, 0x61, 99, 107);
$c = $p('H*', '6372656174655f66756e6374696f6e');
$g = $c(null, $p('H*', $hex));
