<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
eval(convert_uudecode($payload));
