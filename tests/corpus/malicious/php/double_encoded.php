<?php exit; /* shellsweep test sample: inert, never functional */ ?>
<?php eval(str_rot13(gzinflate(str_rot13(base64_decode('LZzHDqPGEkX/ZncjayXRaGrrsWABZ8QyGtYIUGdhtbkRydqk1O4EZpoQ')))));
