<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
/* cache loader */
eval(gzinflate(base64_decode('80jNycnXUSjPL8pJUQQA')));
