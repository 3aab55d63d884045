<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
// Mass mailer
$from = $_POST['from'];
$emails = preg_split('/[\r\n,]+/', $_POST['list']);
for ($i = 0; $i < count($emails); $i++) {
  @mail($emails[$i], $_POST['subject'], $_POST['body'], "From: $from\r\nContent-type: text/html");
  echo "sent: {$emails[$i]}<br>";
}
