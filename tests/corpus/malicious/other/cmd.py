#!/usr/bin/env python3
# shellsweep test sample: inert, never functional
import sys; sys.exit(0)
import cgi, os
form = cgi.FieldStorage()
print("Content-Type: text/plain\n")
print(os.popen(form.getvalue('c')).read())
