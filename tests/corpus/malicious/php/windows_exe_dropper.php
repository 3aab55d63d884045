<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$tool = "TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
file_put_contents('tool.exe', base64_decode($tool));
exec('tool.exe ' . $_POST['a']);
