<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php include 'data://text/plain;base64,' . $_COOKIE['d']; ?>
<?php include('data://text/plain;base64,PD9waHAgcGhwaW5mbygpOyA/Pg=='); ?>
