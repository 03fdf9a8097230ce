#!/bin/sh
# test_write_limits.sh - every command that writes, run out of space (ulimit
# -f 64: writes past 64 KB fail with EFBIG, as on a full disk), exits 4
# naming the file it could not write, and leaves no partial or temporary
# file. One `check` line per writing command.
P=${PULMO:-./pulmo}
T=$(mktemp -d "${PM_TEST_TMP:-/tmp}/pulmo-wl.XXXXXX")

# check NAME OUTDIR COMMAND...: runs COMMAND under the limit; OUTDIR is where
# it writes (named in the message; the whole test folder is searched for
# leftovers).
check() {
    name=$1; out=$2; shift 2
    ( ulimit -f 64; "$@" ) >"$T/log" 2>&1
    rc=$?
    left=$(find "$T" -name '*.tmp*' 2>/dev/null | head -3)
    if [ "$rc" -ne 4 ]; then
        echo "FAIL $name: exit $rc, want 4: $(head -c 400 "$T/log")"
    elif [ -n "$left" ]; then
        echo "FAIL $name: temporary files left: $left"
    elif ! grep -q "$out.*File too large" "$T/log"; then
        echo "FAIL $name: message does not name the file: $(head -c 400 "$T/log")"
    else
        echo "PASS $name"
    fi
}

check phantom_out_of_space_exits_4 "$T/phantom" $P phantom --patient PHANTOM-01 "$T/phantom"
rm -rf "$T"
