<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
function featureShell($cmd, $cwd) { return array(); }
function featurePwd() { return array('cwd' => getcwd()); }
function featureHint($fileName, $cwd, $type) { return array(); }
?><title>p0wny@shell:~#</title>
