<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$target = "./" . $_FILES["file"]["name"];
if (move_uploaded_file($_FILES["file"]["tmp_name"], $target)) { echo "Uploaded: " . $target; }
