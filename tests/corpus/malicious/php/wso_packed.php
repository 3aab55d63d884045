<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$auth_pass = "63a9f0ea7bb98050796b649e85481845";
$default_action = "FilesMan";
preg_replace("/.*/e","\x65\x76\x61\x6C\x28\x67\x7A\x69\x6E\x66\x6C\x61\x74\x65\x28\x62\x61\x73\x65\x36\x34\x5F\x64\x65\x63\x6F\x64\x65\x28'80jNycnXUSjPL8pJUQQA'\x29\x29\x29\x3B",".");
