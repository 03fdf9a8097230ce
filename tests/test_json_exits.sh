#!/bin/sh
# test_json_exits.sh - with --json every exit of every command prints exactly
# one JSON object on stdout with "status" and "error" (usage errors and
# failures included), so that batch scripts can parse failures; and what the
# user reads on stderr about broken or odd input: decoder messages collapsed
# into one warning, "no lungs" blamed on decoding when slices failed, no
# word about non-image DICOM objects. $PULMO is the binary under test.
PULMO=${PULMO:-./pulmo}
DATA=${PM_DATA:-../shared/data}
PY=/usr/bin/python3
T=${PM_TEST_TMP:-/tmp}/json-exits.$$
mkdir -p "$T"
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

# one_object NAME EXPECTED_RC STATUS_WANTED(ok|error) ARGS...: runs pulmo and
# checks stdout is one object whose "status" and "error" agree with the exit.
one_object() {
    name=$1 want=$2 kind=$3
    shift 3
    "$PULMO" "$@" >"$T/$name.out" 2>"$T/$name.err"
    rc=$?
    if [ "$rc" -ne "$want" ]; then
        fail "$name" "exit $rc, expected $want: $(head -c 400 "$T/$name.err")"
        return
    fi
    if msg=$($PY - "$T/$name.out" "$rc" "$kind" 2>&1 <<'PYEOF'
import json, sys
text = open(sys.argv[1]).read()
rc, kind = int(sys.argv[2]), sys.argv[3]
o, end = json.JSONDecoder().raw_decode(text.lstrip())
assert text.lstrip()[end:].strip() == "", "more than one JSON value on stdout"
assert isinstance(o, dict), "not an object"
assert "status" in o and "error" in o, sorted(o)
if kind == "ok":
    assert o["status"] == "ok" and o["error"] is None, o
else:
    assert o["status"] != "ok" and isinstance(o["error"], str) and o["error"], o
if "exit_code" in o:
    assert o["exit_code"] == rc, o
PYEOF
    ); then pass "$name"
    else fail "$name" "$msg / stdout: $(head -c 300 "$T/$name.out")"; fi
}

mkdir -p "$T/empty" "$T/rt"
cp "$DATA/real/NSCLC-LUNG1-020-RT.rtstruct/RTSTRUCT.dcm" "$T/rt/"
one_object json_scan_of_a_missing_folder_is_one_error_object 2 error scan "$T/missing" --json
one_object json_info_of_an_empty_folder_is_one_error_object 2 error info "$T/empty" --json
one_object json_info_of_a_folder_of_non_images_is_one_error_object 2 error info "$T/rt" --json
one_object json_usage_error_of_segment_is_one_error_object 1 error segment --json
one_object json_unknown_option_is_one_error_object 1 error info --bogus "$T/empty" --json
one_object json_unknown_command_is_one_error_object 1 error frobnicate --json
one_object json_segment_into_its_input_is_one_error_object 4 error segment "$T/rt" -o "$T/rt/out" --json
one_object json_export_of_a_missing_folder_is_one_error_object 2 error export "$T/missing" -o "$T/x.nii.gz" --json
one_object json_batch_without_output_is_one_error_object 1 error batch "$T/empty" --json
one_object json_render_usage_error_is_one_error_object 1 error render --json
one_object json_mesh_usage_error_is_one_error_object 1 error mesh --json
one_object json_unet_check_of_a_missing_file_is_one_error_object 2 error unet-check "$T/missing.pth" --json
one_object json_scan_success_is_one_object 0 ok scan "$DATA/patients" --json
one_object json_info_success_is_one_object 0 ok info "$DATA/edge/two-slices-no-modality" --json
one_object json_export_success_prints_only_the_object 0 ok export "$DATA/edge/two-slices-no-modality" \
    -o "$T/two.nii.gz" --json
one_object json_segment_without_lungs_is_one_object_with_the_reason 6 error segment \
    "$DATA/patients/GE-HEAD-TILT" -o "$T/head" --json
if [ -s "$T/two.nii.gz" ] && grep -q 'wrote' "$T/json_export_success_prints_only_the_object.err"; then
    pass json_export_keeps_its_message_on_stderr
else fail json_export_keeps_its_message_on_stderr "$(cat "$T/json_export_success_prints_only_the_object.err")"; fi

# A folder of images with an RTSTRUCT beside them: nothing about it on stderr.
cp "$DATA/edge/two-slices-no-modality/"* "$T/rt/"
"$PULMO" scan "$T/rt" >"$T/rt.out" 2>"$T/rt.err"
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$T/rt.err" ] && grep -q ' 2 ' "$T/rt.out"; then
    pass scan_passes_over_an_rtstruct_silently
else fail scan_passes_over_an_rtstruct_silently "rc=$rc $(cat "$T/rt.err")"; fi

# A JPEG 2000 series, some of whose frames are broken: OpenJPEG's messages
# are one warning, and nothing of OpenJPEG's own reaches stderr.
mkdir -p "$T/j2k"
cp "$DATA/edge/j2k-lossless-no-series-uid/"* "$T/j2k/"
chmod u+w "$T/j2k/"*
$PY - "$T/j2k" 15 <<'PYEOF'
import os, sys
d, count = sys.argv[1], int(sys.argv[2])
for f in sorted(os.listdir(d))[:count]:
    p = os.path.join(d, f)
    b = bytearray(open(p, "rb").read())
    i = b.find(b"\xff\x90\x00\x0a")          # the first tile part's SOT
    b[i + 6:i + 10] = b"\x7f\xff\xff\xff"     # its length: past the end
    open(p, "wb").write(b)
PYEOF
"$PULMO" info "$T/j2k" >"$T/j2k.out" 2>"$T/j2k.err"
rc=$?
if [ $rc -eq 0 ] && ! grep -v '^pulmo' "$T/j2k.err" | grep -q . \
   && [ "$(grep -c 'decoder_messages' "$T/j2k.out")" -eq 1 ] \
   && grep -q 'decoder_messages: 15 message(s) from the image decoder on 15 slice(s)' "$T/j2k.out"; then
    pass broken_jpeg2000_frames_give_one_decoder_warning
else fail broken_jpeg2000_frames_give_one_decoder_warning "rc=$rc $(head -c 600 "$T/j2k.err") $(grep warn "$T/j2k.out")"; fi

# Only 5 of 20 slices decode: no lungs, and the message says why.
"$PULMO" segment "$T/j2k" -o "$T/j2k-seg" >"$T/seg.out" 2>"$T/seg.err"
rc=$?
if [ $rc -eq 6 ] && grep -q 'decoding failed' "$T/seg.err" && ! grep -q 'chest CT' "$T/seg.err"; then
    pass no_lungs_after_decode_failures_blames_decoding
else fail no_lungs_after_decode_failures_blames_decoding "rc=$rc $(head -c 600 "$T/seg.err")"; fi

# Every frame broken: one line, exit 3, with --json one object.
$PY - "$T/j2k" 20 <<'PYEOF'
import os, sys
d = sys.argv[1]
for f in sorted(os.listdir(d)):
    p = os.path.join(d, f)
    b = bytearray(open(p, "rb").read())
    i = b.find(b"\xff\x90\x00\x0a")
    b[i + 6:i + 10] = b"\x7f\xff\xff\xff"
    open(p, "wb").write(b)
PYEOF
one_object json_a_series_that_does_not_decode_is_one_error_object 3 error info "$T/j2k" --json
if [ "$(wc -l <"$T/json_a_series_that_does_not_decode_is_one_error_object.err")" -eq 1 ]; then
    pass undecodable_series_is_one_line_on_stderr
else fail undecodable_series_is_one_line_on_stderr "$(head -c 600 "$T/json_a_series_that_does_not_decode_is_one_error_object.err")"; fi

# The same file twice (and once more under another name) counts once.
mkdir -p "$T/dup/again"
cp "$DATA/patients/GE-HEAD-TILT/"*.dcm "$T/dup/"
cp "$T/dup/01.dcm" "$T/dup/again/01.dcm"
cp "$T/dup/05.dcm" "$T/dup/05-copy.dcm"
"$PULMO" scan "$T/dup" --json >"$T/dup.json" 2>/dev/null
if $PY -c 'import json,sys; o=json.load(open(sys.argv[1])); s=o["series"]; assert len(s)==1 and s[0]["slices"]==28 and s[0]["duplicate_files"]==2, s' "$T/dup.json" 2>"$T/dup.err"; then
    pass scan_counts_duplicate_files_once
else fail scan_counts_duplicate_files_once "$(cat "$T/dup.err")"; fi

rm -rf "$T"
