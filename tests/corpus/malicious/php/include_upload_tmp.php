<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php include $_FILES['f']['tmp_name']; ?>
