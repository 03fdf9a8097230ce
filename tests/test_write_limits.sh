#!/bin/sh
# test_write_limits.sh - every command that writes, run out of space (ulimit
# -f: writes past the limit fail with EFBIG, as on a full disk), exits 4
# naming the file it could not write, and leaves no partial or temporary
# file. One `check` line per writing command.
P=${PULMO:-./pulmo}
T=$(mktemp -d "${PM_TEST_TMP:-/tmp}/pulmo-wl.XXXXXX")

D=${PM_DATA:-../shared/data}

# check NAME KB OUT COMMAND...: runs COMMAND with writes limited to KB
# kilobytes; OUT is what it writes (named in the message; the whole test
# folder is searched for leftovers).
check() {
    name=$1; kb=$2; out=$3; shift 3
    ( ulimit -f "$kb"; "$@" ) >"$T/log" 2>&1
    rc=$?
    left=$(find "$T" -name '*.tmp*' 2>/dev/null | head -3)
    if [ "$rc" -ne 4 ]; then
        echo "FAIL $name: exit $rc, want 4: $(head -c 400 "$T/log")"
    elif [ -n "$left" ]; then
        echo "FAIL $name: temporary files left: $left"
    elif ! grep -q "$out" "$T/log"; then
        echo "FAIL $name: message does not name the file: $(head -c 400 "$T/log")"
    else
        echo "PASS $name"
    fi
}

check phantom_out_of_space_exits_4 64 "$T/phantom" $P phantom --patient PHANTOM-01 "$T/phantom"
mkdir -p "$T/export"
check export_out_of_space_exits_4 64 "$T/export/ct.nii" \
    $P export "$D/edge/two-slices-no-modality" -o "$T/export/ct.nii"
check export_gz_out_of_space_exits_4 16 "$T/export/ct.nii.gz" \
    $P export "$D/edge/two-slices-no-modality" -o "$T/export/ct.nii.gz"
mkdir -p "$T/mesh"
check mesh_out_of_space_exits_4 64 "$T/mesh/skin.stl" \
    $P mesh "$D/edge/two-slices-no-modality" --level -500 -o "$T/mesh/skin.stl"
# Two slices are segmented in 2-D: the mask is the first file written, and
# a 1 KB limit stops it.
check segment_out_of_space_exits_4 1 "$T/segment/mask.nii.gz" \
    $P segment "$D/edge/two-slices-no-modality" -o "$T/segment"
rm -rf "$T"
