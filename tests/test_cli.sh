#!/bin/sh
# test_cli.sh - the command-line contract of scan and info: option names,
# JSON keys, exit codes. $PULMO is the binary under test.
PULMO=${PULMO:-./pulmo}
DATA=${PM_DATA:-../shared/data}
PY=/usr/bin/python3
T=${PM_TEST_TMP:-/tmp}/cli.$$
mkdir -p "$T"
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

$PULMO scan "$DATA/patients" --json >"$T/scan.json" 2>"$T/scan.err"
rc=$?
if [ $rc -eq 0 ] && $PY - "$T/scan.json" <<'PYEOF'
import json, sys
o = json.load(open(sys.argv[1]))
assert o["status"] == "ok" and o["error"] is None, o
a = o["series"]
assert len(a) == 2, len(a)
keys = {"patient_id", "patient_name", "series_uid", "series_description", "modality", "slices", "dims", "spacing", "path"}
for e in a:
    assert keys <= set(e), keys - set(e)
lidc = [e for e in a if e["patient_id"] == "LIDC-IDRI-0001"][0]
assert lidc["slices"] == 133 and lidc["dims"] == [512, 512, 133], lidc
assert abs(lidc["spacing"][2] - 2.5) < 1e-6 and lidc["path"].endswith("LIDC-IDRI-0001"), lidc
PYEOF
then pass scan_json_lists_each_series_with_the_contract_keys
else fail scan_json_lists_each_series_with_the_contract_keys "rc=$rc $(cat "$T/scan.err")"; fi

$PULMO scan "$DATA/patients" >"$T/scan.txt" 2>&1
if grep -q 'LIDC-IDRI-0001.*133.*512x512x133' "$T/scan.txt"; then pass scan_table_has_one_aligned_row_per_series
else fail scan_table_has_one_aligned_row_per_series "$(cat "$T/scan.txt")"; fi

$PULMO info "$DATA/patients/LIDC-IDRI-0001" --json >"$T/info.json" 2>"$T/info.err"
rc=$?
if [ $rc -eq 0 ] && $PY - "$T/info.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("dims", "spacing", "origin", "direction", "hu_min", "hu_max", "hu_mean", "warnings", "load_seconds"):
    assert k in d, k
assert d["dims"] == [512, 512, 133] and len(d["direction"]) == 9 and len(d["origin"]) == 3
assert d["hu_min"] >= -1024 and d["hu_max"] > 1000 and -900 < d["hu_mean"] < 0, d
assert d["warnings"] == [], d["warnings"]
PYEOF
then pass info_json_has_geometry_statistics_and_no_warnings_for_lidc
else fail info_json_has_geometry_statistics_and_no_warnings_for_lidc "rc=$rc $(cat "$T/info.err")"; fi

$PULMO info "$DATA/patients/GE-HEAD-TILT" --json >"$T/tilt.json" 2>/dev/null
if $PY - "$T/tilt.json" <<'PYEOF'
import json, sys, re
d = json.load(open(sys.argv[1]))
kinds = {w["kind"] for w in d["warnings"]}
assert {"gantry_tilt", "irregular_spacing"} <= kinds, kinds
tilt = [w["message"] for w in d["warnings"] if w["kind"] == "gantry_tilt"][0]
angle = float(re.search(r"([0-9.]+) degrees", tilt).group(1))
assert abs(angle - 18.5) < 0.3, angle
PYEOF
then pass info_json_reports_gantry_tilt_angle_and_irregular_spacing
else fail info_json_reports_gantry_tilt_angle_and_irregular_spacing "$(cat "$T/tilt.json")"; fi

$PULMO --version >/dev/null 2>&1 && $PULMO --help | grep -q 'scan' && $PULMO info --help | grep -q -- '--max-memory'
if [ $? -eq 0 ]; then pass help_and_version_exit_0; else fail help_and_version_exit_0 "help/version failed"; fi

$PULMO frobnicate >/dev/null 2>&1; a=$?
$PULMO info >/dev/null 2>&1; b=$?
$PULMO info "$DATA/patients/LIDC-IDRI-0001" --bogus >/dev/null 2>&1; c=$?
$PULMO info "$T/does-not-exist" >/dev/null 2>&1; d=$?
if [ $a -eq 1 ] && [ $b -eq 1 ] && [ $c -eq 1 ] && [ $d -eq 2 ]; then pass usage_errors_exit_1_and_missing_input_exit_2
else fail usage_errors_exit_1_and_missing_input_exit_2 "codes $a $b $c $d"; fi

$PULMO info "$DATA/patients/LIDC-IDRI-0001" --series 1.2.3.4 >/dev/null 2>"$T/uid.err"; e=$?
if [ $e -eq 2 ] && grep -q '1.2.3.4' "$T/uid.err"; then pass unknown_series_uid_exit_2
else fail unknown_series_uid_exit_2 "exit $e"; fi
# Numeric option values go through one checked parser: trailing text, an
# empty value, NaN and out-of-range numbers are usage errors naming the option.
bad=""
for args in "batch $T --jobs 12abc" "batch $T --jobs ''" "render $T --zoom nan" \
            "mesh $T -o $T/m.stl --label 256" "segment $T --resample 1e999" \
            "cluster $T --slices 5:2" "phantom $T/ph --seed -3" "echo dicom://x:1/A --port 0" \
            "batch $T -o $T/b --shard 1/2x" "mesh $T -o $T/m.stl --crop 1,2,nan,5"; do
    opt=$(echo "$args" | sed 's/.* \(--[a-z-]*\) .*/\1/')
    eval "$PULMO $args" >/dev/null 2>"$T/opt.err"; rc=$?
    [ $rc -eq 1 ] && grep -q -- "$opt" "$T/opt.err" || bad="$bad [$args: exit $rc $(head -1 "$T/opt.err")]"
done
if [ -z "$bad" ]; then pass bad_numeric_option_values_exit_1_naming_the_option
else fail bad_numeric_option_values_exit_1_naming_the_option "$bad"; fi

rm -rf "$T"
