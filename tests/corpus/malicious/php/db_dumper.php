<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$db = mysqli_connect($_POST['h'], $_POST['u'], $_POST['p']);
$r = mysqli_query($db, 'SHOW TABLES');
while ($t = mysqli_fetch_row($r)) { echo $t[0]; }
