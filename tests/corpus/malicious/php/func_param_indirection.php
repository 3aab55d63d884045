<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
function sqlcheck($fn){
    $fn($_POST['z']);
}
sqlcheck('assert');
