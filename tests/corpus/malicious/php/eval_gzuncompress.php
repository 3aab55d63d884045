<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
eval("?>" . gzuncompress(base64_decode($packed)));
