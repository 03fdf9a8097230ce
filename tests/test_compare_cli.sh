#!/bin/sh
# test_compare_cli.sh - `pulmo compare`: NIfTI masks across different grids,
# an RTSTRUCT against itself, finding (or not) an RTSTRUCT's CT series, and
# the exit codes of unreadable inputs.
P=${PULMO:-./pulmo}
D=${PM_DATA:-../shared/data}
T=${PM_TEST_TMP:-/tmp}/comparecli.$$
mkdir -p "$T"
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
REF="$D/reference/LIDC-IDRI-0001.seed-fill.nii.gz"
RT="$D/real/NSCLC-LUNG1-020-RT.rtstruct/RTSTRUCT.dcm"
# Debian's python3 has the packages of DEPS_TEST (nibabel, numpy).
PY=/usr/bin/python3

name=a_mask_on_a_mirrored_finer_grid_compares_through_the_affines
# The reference mask with its x axis stored reversed, then every second
# slice duplicated onto half the slice spacing: the same lungs in patient
# space on another grid, so Dice must be 1 and the distances 0.
$PY -c 'import nibabel as nib, numpy as np, sys
im = nib.load(sys.argv[1]); a = np.asarray(im.dataobj); A = im.affine.copy()
flip = np.eye(4); flip[0, 0] = -1; flip[0, 3] = a.shape[0] - 1
b = np.repeat(a[::-1], 2, axis=2); A2 = A @ flip @ np.diag([1, 1, 0.5, 1]); A2[:3, 3] += A[:3, 2] * -0.25
nib.save(nib.Nifti1Image(b.astype(np.uint8), A2), sys.argv[2])' "$REF" "$T/mirrored.nii.gz" 2>"$T/py"
$P compare "$T/mirrored.nii.gz" "$REF" --json >"$T/m.json" 2>"$T/err"
rc=$?
if [ $rc -ne 0 ]; then
    fail $name "exit $rc: $(cat "$T/err" "$T/py")"
elif ! $PY -c 'import json,sys
r = json.load(open(sys.argv[1]))
l = r["labels"][0]
assert r["reference_kind"] == "nifti" and l["label"] == 1, r
assert l["dice"] == 1 and l["assd_mm"] == 0 and l["hd95_mm"] == 0 and l["ml_difference"] == 0, l
' "$T/m.json" 2>"$T/py"; then
    fail $name "$(tail -1 "$T/py")"
else
    pass $name
fi

name=filled_and_unfilled_masks_differ_by_the_vessels
$P compare "$D/reference/LIDC-IDRI-0001.seed-nofill.nii.gz" "$REF" --json >"$T/n.json" 2>"$T/err"
rc=$?
if [ $rc -ne 0 ]; then
    fail $name "exit $rc: $(cat "$T/err")"
elif ! $PY -c 'import json,sys, nibabel as nib, numpy as np
r = json.load(open(sys.argv[1]))["labels"][0]
a = np.asarray(nib.load(sys.argv[2]).dataobj) == 1; b = np.asarray(nib.load(sys.argv[3]).dataobj) == 1
d = 2 * (a & b).sum() / (a.sum() + b.sum())
assert abs(r["dice"] - d) < 1e-9 and r["dice"] < 1, (r["dice"], d)
assert r["ml_difference"] < 0 and r["hd95_mm"] > 0, r
' "$T/n.json" "$D/reference/LIDC-IDRI-0001.seed-nofill.nii.gz" "$REF" 2>"$T/py"; then
    fail $name "$(tail -1 "$T/py")"
else
    pass $name
fi

name=rtstruct_against_itself_scores_both_lungs_perfectly
$P compare "$RT" "$RT" --ignore 'GTV*' >"$T/rt.txt" 2>"$T/err"
rc=$?
if [ $rc -ne 0 ]; then
    fail $name "exit $rc: $(cat "$T/err")"
elif ! grep -q '^1 *Lung-Right *1.0000' "$T/rt.txt" || ! grep -q '^2 *Lung-Left *1.0000' "$T/rt.txt" \
     || ! grep -q '^ignored  gtv-4,gtv-3,gtv-2,GTV-1' "$T/rt.txt"; then
    fail $name "$(cat "$T/rt.txt")"
else
    pass $name
fi

name=rtstruct_away_from_its_ct_needs_series
mkdir -p "$T/alone/rt"
cp "$RT" "$T/alone/rt/"
$P compare "$REF" "$T/alone/rt/RTSTRUCT.dcm" >"$T/out" 2>"$T/err"
rc=$?
$P compare "$T/alone/rt/RTSTRUCT.dcm" "$T/alone/rt/RTSTRUCT.dcm" --series "$D/real/NSCLC-LUNG1-020-RT" \
    --json >"$T/s.json" 2>"$T/err2"
rc2=$?
if [ $rc -ne 2 ] || ! grep -q -- '--series' "$T/err"; then
    fail $name "exit $rc: $(cat "$T/err")"
elif [ $rc2 -ne 0 ] || ! grep -q '"dice": 1' "$T/s.json"; then
    fail $name "with --series: exit $rc2: $(cat "$T/err2")"
else
    pass $name
fi

name=render_overlays_the_rtstruct_on_its_series
$P render "$D/real/NSCLC-LUNG1-020-RT" --plane coronal --size 256x256 -o "$T/plain.png" >/dev/null 2>"$T/err"
r1=$?
$P render "$D/real/NSCLC-LUNG1-020-RT" --plane coronal --size 256x256 --mask "$RT" -o "$T/rt.png" >/dev/null 2>>"$T/err"
r2=$?
if [ $r1 -ne 0 ] || [ $r2 -ne 0 ]; then
    fail $name "exit $r1 $r2: $(cat "$T/err")"
elif cmp -s "$T/plain.png" "$T/rt.png"; then
    fail $name "the overlay changed nothing"
else
    pass $name
fi

name=unreadable_inputs_exit_3_naming_the_file
printf 'not a mask\n' >"$T/notes.txt"
head -c 4000 "$RT" >"$T/cut.dcm"
$P compare "$T/notes.txt" "$REF" >/dev/null 2>"$T/e1"; r1=$?
$P compare "$REF" "$T/cut.dcm" >/dev/null 2>"$T/e2"; r2=$?
$P compare "$REF" >/dev/null 2>&1; r3=$?
if [ $r1 -ne 3 ] || ! grep -q notes.txt "$T/e1"; then
    fail $name "text file: exit $r1: $(cat "$T/e1")"
elif [ $r2 -ne 3 ] || ! grep -q cut.dcm "$T/e2"; then
    fail $name "cut RTSTRUCT: exit $r2: $(cat "$T/e2")"
elif [ $r3 -ne 1 ]; then
    fail $name "one argument: exit $r3"
else
    pass $name
fi
rm -rf "$T"
