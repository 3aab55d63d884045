<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
// IndoXploit Shell
echo '<title>IndoXploit</title>';
