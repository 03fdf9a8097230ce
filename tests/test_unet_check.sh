#!/bin/sh
# test_unet_check.sh - `pulmo unet-check` on the tiny U-Net and damaged copies:
# the architecture is printed, damaged files exit 3 with a reason naming them.
data=${PM_DATA:-../shared/data}/unet
tmp=$(mktemp -d "${PM_TEST_TMP:-/tmp}/unet-check.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

out=$($PULMO unet-check "$data/tiny-unet.pth" 2>&1); rc=$?
if [ $rc -eq 0 ] && echo "$out" | grep -q 'widths  *8 16 32 64 128$' &&
   echo "$out" | grep -q 'depth 5, 1 input channel, 3 classes' &&
   echo "$out" | grep -q '^parameters   488635 '; then
    echo "PASS unet_check_prints_the_tiny_architecture"
else
    echo "FAIL unet_check_prints_the_tiny_architecture: rc $rc: $out"
fi

json=$($PULMO unet-check --json "$data/tiny-unet.pth")
if echo "$json" | python3 -c 'import json,sys; j=json.load(sys.stdin); sys.exit(0 if j["n_classes"]==3 and j["widths"]==[8,16,32,64,128] and j["parameters"]==488635 else 1)'; then
    echo "PASS unet_check_json_parses_with_the_same_figures"
else
    echo "FAIL unet_check_json_parses_with_the_same_figures: $json"
fi

size=$(wc -c < "$data/tiny-unet.pth")
head -c $((size / 3)) "$data/tiny-unet.pth" > "$tmp/trunc.pth"
err=$($PULMO unet-check "$tmp/trunc.pth" 2>&1); rc=$?
if [ $rc -eq 3 ] && echo "$err" | grep -q "trunc.pth" && echo "$err" | grep -q "truncated"; then
    echo "PASS unet_check_truncated_file_exits_3_naming_it"
else
    echo "FAIL unet_check_truncated_file_exits_3_naming_it: rc $rc: $err"
fi

printf 'not a zip at all\n' > "$tmp/text.pth"
$PULMO unet-check "$tmp/text.pth" >/dev/null 2>&1; rc=$?
$PULMO unet-check "$tmp/missing.pth" >/dev/null 2>&1; rc2=$?
if [ $rc -eq 3 ] && [ $rc2 -eq 2 ]; then
    echo "PASS unet_check_foreign_file_exits_3_and_missing_file_2"
else
    echo "FAIL unet_check_foreign_file_exits_3_and_missing_file_2: $rc $rc2"
fi

$PULMO unet-check >/dev/null 2>&1; rc=$?
if [ $rc -eq 1 ]; then echo "PASS unet_check_without_file_is_a_usage_error"
else echo "FAIL unet_check_without_file_is_a_usage_error: rc $rc"; fi
