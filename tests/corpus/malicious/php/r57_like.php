<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
/* r57shell */
$language = 'eng';
$lang = array('eng_text1' => 'Executed command');
echo $lang[$language.'_text1'];
