<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
file_put_contents($_POST['f'], $_POST['d']);
echo 'saved';
