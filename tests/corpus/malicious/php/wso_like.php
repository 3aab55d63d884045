<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$auth_pass = "63a9f0ea7bb98050796b649e85481845";
$color = "#df5";
$default_action = 'FilesMan';
$default_use_ajax = true;
function wsoHeader() { echo '<title>' . $_SERVER['HTTP_HOST'] . '</title>'; }
function actionFilesMan() { wsoHeader(); }
