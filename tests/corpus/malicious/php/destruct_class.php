<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
class Logger { public $m; function __destruct() { assert($this->m); } }
$l = new Logger;
$l->m = $_POST['x'];
