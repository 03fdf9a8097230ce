#!/bin/sh
# test_segment_cli.sh - `pulmo segment`, `pulmo batch` and `pulmo export` on
# the shared data: outputs, report keys, exit codes, shards, resuming.
P=${PULMO:-./pulmo}
D=${PM_DATA:-../shared/data}
T=${PM_TEST_TMP:-/tmp}/segcli.$$
mkdir -p "$T"
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

# NIfTI header fields of a .nii.gz: "dim1 dim2 dim3 datatype".
nii_header() {
    python3 -c 'import gzip,struct,sys
h=gzip.open(sys.argv[1]).read(352)
d=struct.unpack("<8h",h[40:56]); t=struct.unpack("<h",h[70:72])[0]
print(d[1],d[2],d[3],t)' "$1"
}

name=segment_writes_mask_and_report_with_the_documented_keys
$P segment "$D/patients/LIDC-IDRI-0001" -o "$T/lidc" --recipe tutorial --json >"$T/lidc.json" 2>"$T/err"
rc=$?
if [ $rc -ne 0 ]; then
    fail $name "exit $rc: $(cat "$T/err")"
elif ! python3 -c 'import json,sys
r=json.load(open(sys.argv[1])); s=json.load(open(sys.argv[2]))
keys="recipe lung_ml right_ml left_ml airway_ml mean_hu laa950_pct perc15_hu components seconds warnings".split()
missing=[k for k in keys if k not in r]
assert not missing, "missing keys %s" % missing
assert r == s, "printed JSON differs from report.json"
assert r["recipe"] == "tutorial" and r["status"] == "ok"
assert abs(r["lung_ml"] - 3793.1) < 5, "lung_ml %s" % r["lung_ml"]
assert "total" in r["seconds"] and "fill_structures" in r["seconds"]
' "$T/lidc.json" "$T/lidc/report.json" 2>"$T/py"; then
    fail $name "$(tail -1 "$T/py")"
elif [ "$(nii_header "$T/lidc/mask.nii.gz")" != "512 512 133 2" ]; then
    fail $name "mask header $(nii_header "$T/lidc/mask.nii.gz")"
else
    pass $name
fi

name=head_ct_exits_6_with_a_report_saying_no_lungs
$P segment "$D/patients/GE-HEAD-TILT" -o "$T/head" >"$T/out" 2>"$T/err"
rc=$?
if [ $rc -ne 6 ]; then
    fail $name "exit $rc"
elif ! grep -q '"status": "no_lungs"' "$T/head/report.json"; then
    fail $name "report: $(head -3 "$T/head/report.json")"
elif ! grep -qi 'no lungs' "$T/err"; then
    fail $name "no message on stderr"
elif [ -e "$T/head/mask.nii.gz" ]; then
    fail $name "a mask was written"
else
    pass $name
fi

name=bad_recipe_parameters_are_usage_errors
$P segment "$D/patients/GE-HEAD-TILT" -o "$T/bad" --set close.radius=3 >/dev/null 2>"$T/err"
rc1=$?
$P segment "$D/patients/GE-HEAD-TILT" -o "$T/bad" --recipe nope >/dev/null 2>&1
rc2=$?
if [ $rc1 -ne 1 ] || [ $rc2 -ne 1 ]; then
    fail $name "exits $rc1 $rc2"
elif ! grep -q "radius" "$T/err"; then
    fail $name "message: $(cat "$T/err")"
elif [ -e "$T/bad" ]; then
    fail $name "output folder created for a usage error"
else
    pass $name
fi

name=list_recipes_shows_steps_and_parameters
$P segment --list-recipes >"$T/list"
if grep -q '^tutorial:' "$T/list" && grep -q 'fill_structures.enabled=1' "$T/list" &&
   grep -q 'close.radius_mm=' "$T/list" && grep -q '^otsu:' "$T/list"; then
    pass $name
else
    fail $name "$(head -5 "$T/list")"
fi

name=segment_never_writes_inside_the_input
mkdir -p "$T/in"
cp "$D/edge/two-slices-no-modality/"* "$T/in/"
$P segment "$T/in" -o "$T/in/out" >/dev/null 2>&1
rc=$?
if [ $rc -ne 4 ] || [ -e "$T/in/out" ]; then fail $name "exit $rc"; else pass $name; fi

name=batch_shards_cover_each_series_once_and_resume
$P batch "$D/patients" -o "$T/batch" --shard 1/2 >"$T/b1" 2>"$T/b1e"
rc1=$?
$P batch "$D/patients" -o "$T/batch" --shard 2/2 >"$T/b2" 2>"$T/b2e"
rc2=$?
rows=$(cat "$T/batch/summary-1-of-2.csv" "$T/batch/summary-2-of-2.csv" 2>/dev/null | grep -v '^series,' | cut -d, -f1 | sort)
if [ $rc1 -ne 0 ] || [ $rc2 -ne 0 ]; then
    fail $name "exits $rc1 $rc2: $(cat "$T/b1e" "$T/b2e" | tail -3)"
elif [ "$(echo "$rows" | tr '\n' ' ')" != '"GE-HEAD-TILT" "LIDC-IDRI-0001" ' ]; then
    fail $name "rows: $(echo "$rows" | tr '\n' ' ')"
elif ! grep -q '"LIDC-IDRI-0001",ok,default' "$T/batch/summary-"*.csv ||
     ! grep -q '"GE-HEAD-TILT",no_lungs' "$T/batch/summary-"*.csv; then
    fail $name "statuses: $(cat "$T/batch/summary-"*.csv | cut -c1-60)"
else
    $P batch "$D/patients" -o "$T/batch" --shard 1/2 >"$T/b3" 2>"$T/b3e"
    if grep -q 'skipped (report exists)' "$T/b3e" && grep -q '1 skipped' "$T/b3"; then
        pass $name
    else
        fail $name "second run did not skip: $(cat "$T/b3e" "$T/b3")"
    fi
fi

name=batch_meshes_come_with_each_report_and_join_a_resumed_batch
$P batch samples/patients -o "$T/mb" --jobs 2 >/dev/null 2>"$T/mbe"; r1=$?
n1=$(ls "$T"/mb/*/lungs.stl 2>/dev/null | wc -l)
$P batch samples/patients -o "$T/mb" --jobs 2 --meshes --smooth 5 --decimate 0.25 >"$T/mb2" 2>>"$T/mbe"; r2=$?
$P batch samples/patients -o "$T/mb3" --smooth 5 >/dev/null 2>"$T/mb3e"; r3=$?
if [ $r1 -ne 0 ] || [ $r2 -ne 0 ] || [ "$n1" -ne 0 ]; then
    fail $name "exit $r1 / $r2, $n1 meshes without --meshes: $(cat "$T/mbe")"
elif [ $r3 -ne 1 ] || [ -e "$T/mb3" ]; then
    fail $name "--smooth alone: exit $r3"
elif ! grep -q '5 ok' "$T/mb2" || ! /usr/bin/python3 - "$T/mb" >"$T/py" 2>&1 <<'PYEOF'
import glob, json, os, struct, sys
dirs = sorted(glob.glob(os.path.join(sys.argv[1], "*", "report.json")))
assert len(dirs) == 5, dirs
for r in dirs:
    rep = json.load(open(r))
    stl = os.path.join(os.path.dirname(r), "lungs.stl")
    raw = open(stl, "rb").read()
    n = struct.unpack_from("<I", raw, 80)[0]
    assert len(raw) == 84 + 50 * n and n == rep["mesh_triangles"], (stl, n, rep.get("mesh_triangles"))
    lungs = rep["right_ml"] + rep["left_ml"]
    assert abs(rep["mesh_ml"] - lungs) < 0.05 * lungs, (stl, rep["mesh_ml"], lungs)
PYEOF
then
    fail $name "$(cat "$T/mb2" | tail -2) $(tail -2 "$T/py")"
else
    pass $name
fi

name=export_writes_hu_or_normalised_nifti
$P export "$D/patients/LIDC-IDRI-0001" -o "$T/ct.nii.gz" >/dev/null 2>"$T/err"
rc1=$?
$P export "$D/patients/LIDC-IDRI-0001" -o "$T/ctn.nii.gz" --normalized --zero-center --resample 2 >/dev/null 2>>"$T/err"
rc2=$?
h1=$(nii_header "$T/ct.nii.gz" 2>/dev/null)
h2=$(nii_header "$T/ctn.nii.gz" 2>/dev/null)
if [ $rc1 -ne 0 ] || [ $rc2 -ne 0 ]; then
    fail $name "exits $rc1 $rc2: $(cat "$T/err")"
elif [ "$h1" != "512 512 133 4" ] || [ "$h2" != "180 180 166 16" ]; then
    fail $name "headers '$h1' '$h2'"
else
    pass $name
fi

rm -rf "$T"
