<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
if (isset($_POST['pass'])) {
    $c = $_POST['cmd'];
    echo system($c);
}
