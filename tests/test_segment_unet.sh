#!/bin/sh
# test_segment_unet.sh - `pulmo segment --recipe unet`: weights from the
# option, the environment or the XDG config; missing or damaged weights are
# clear errors; a run writes the mask and a report naming the recipe.
data=${PM_DATA:-../shared/data}
w=$data/unet/tiny-unet.pth
series=$data/edge/two-slices-no-modality
tmp=$(mktemp -d "${PM_TEST_TMP:-/tmp}/seg-unet.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export XDG_CONFIG_HOME="$tmp/xdg"
unset PULMO_WEIGHTS

err=$($PULMO segment "$series" -o "$tmp/none" --recipe unet 2>&1); rc=$?
if [ $rc -eq 1 ] && echo "$err" | grep -q -- "--weights" && [ ! -e "$tmp/none" ]; then
    echo "PASS unet_recipe_without_weights_is_a_usage_error"
else
    echo "FAIL unet_recipe_without_weights_is_a_usage_error: rc $rc: $err"
fi

head -c 5000 "$w" > "$tmp/cut.pth"
err=$($PULMO segment "$series" -o "$tmp/cut" --recipe unet --weights "$tmp/cut.pth" 2>&1); rc=$?
if [ $rc -eq 3 ] && echo "$err" | grep -q "cut.pth"; then
    echo "PASS unet_recipe_with_damaged_weights_exits_3"
else
    echo "FAIL unet_recipe_with_damaged_weights_exits_3: rc $rc: $err"
fi

$PULMO segment "$series" -o "$tmp/opt" --recipe unet --weights "$w" --threads 2 --json \
    > "$tmp/opt.json" 2>"$tmp/opt.err"; rc=$?
if { [ $rc -eq 0 ] && [ -s "$tmp/opt/mask.nii.gz" ] || [ $rc -eq 6 ]; } &&
   grep -q '"recipe": "unet"' "$tmp/opt/report.json"; then
    echo "PASS unet_recipe_writes_a_report_naming_the_recipe"
else
    echo "FAIL unet_recipe_writes_a_report_naming_the_recipe: rc $rc: $(cat "$tmp/opt.err")"
fi

PULMO_WEIGHTS="$w" $PULMO segment "$series" -o "$tmp/env" --recipe unet >/dev/null 2>&1; rc1=$?
mkdir -p "$XDG_CONFIG_HOME/pulmo" && echo "$w" > "$XDG_CONFIG_HOME/pulmo/weights"
$PULMO segment "$series" -o "$tmp/xdg" --recipe unet >/dev/null 2>&1; rc2=$?
if [ "$rc1" = "$rc" ] && [ "$rc2" = "$rc" ] &&
   { [ $rc -eq 6 ] || { cmp -s "$tmp/opt/mask.nii.gz" "$tmp/env/mask.nii.gz" &&
                        cmp -s "$tmp/opt/mask.nii.gz" "$tmp/xdg/mask.nii.gz"; }; }; then
    echo "PASS unet_weights_from_environment_and_config_give_the_same_result"
else
    echo "FAIL unet_weights_from_environment_and_config_give_the_same_result: rc $rc / $rc1 / $rc2"
fi

$PULMO segment "$series" -o "$tmp/bad" --recipe unet --weights "$w" --threads 0 >/dev/null 2>&1; rc=$?
if [ $rc -eq 1 ]; then echo "PASS segment_rejects_zero_threads"
else echo "FAIL segment_rejects_zero_threads: rc $rc"; fi
