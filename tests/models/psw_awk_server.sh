#!/bin/sh
# y = a * b + c: a parsweep server model in awk (docs/models.md, "Server
# models"; tested by server.backends). awk reads and writes the protocol's
# fd 3 as its stdin and stdout, so it must print nothing else. mawk reads
# ahead in blocks unless told to read line by line (-W interactive).
awk=awk
if awk -W version 2>/dev/null | grep -q mawk; then awk="awk -W interactive"; fi
exec $awk '
NR == 1 { next }                              # parsweep-server 1
names > 0 { names--; next }                   # a parameter or output name
!header && $1 == "params" { names = $2; next }
!header && $1 == "outputs" { names = $2; header = 1; print "ready"; fflush(); next }
$1 == "sample" { printf "ok %s %.17g\n", $2, $3 * $4 + $5; fflush(); next }
$1 == "exit" { exit }
' <&3 >&3
