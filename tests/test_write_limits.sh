#!/bin/sh
# test_write_limits.sh - a command that writes, run out of space (ulimit -f:
# writes fail with EFBIG), exits 4 naming the file and leaves no partial or
# temporary file. `pulmo phantom` is today's writing command; add the others
# (segment, mesh, render) as they land.
P=${PULMO:-./pulmo}
T=$(mktemp -d "${PM_TEST_TMP:-/tmp}/pulmo-wl.XXXXXX")
( ulimit -f 64; $P phantom --patient PHANTOM-01 "$T/out" ) >"$T/log" 2>&1
rc=$?
left=$(find "$T/out" "$T/truth" -name '*.tmp*' 2>/dev/null | head -3)
if [ "$rc" -ne 4 ]; then
    echo "FAIL phantom_out_of_space_exits_4: exit $rc: $(head -c 400 "$T/log")"
elif [ -n "$left" ]; then
    echo "FAIL phantom_out_of_space_exits_4: temporary files left: $left"
elif ! grep -q 'IM[0-9]*\.dcm.*File too large' "$T/log"; then
    echo "FAIL phantom_out_of_space_exits_4: message does not name the file: $(head -c 400 "$T/log")"
else
    echo "PASS phantom_out_of_space_exits_4"
fi
rm -rf "$T"
