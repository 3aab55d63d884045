<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php
// MySQL 管理
$link = @mysql_connect($_POST['host'], $_POST['user'], $_POST['pass']);
$res = mysql_query(stripslashes($_POST['query']), $link);
while ($row = mysql_fetch_row($res)) { echo implode(' | ', $row), "<br>"; }
