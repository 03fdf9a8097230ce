#!/bin/sh
# test_volfile_cli.sh - volume files through the CLI: a DICOM series exported
# to NIfTI segments to the same lungs (Dice 1.0), the mask overlays its input
# in nibabel, a copy stored mirrored by nibabel gives the same lungs in
# patient space, scan/info/render/mesh take the file, bad headers exit 3.
P=${PULMO:-./pulmo}
D=${PM_DATA:-../shared/data}
T=${PM_TEST_TMP:-/tmp}/volcli.$$
# Debian's python3 has the packages of DEPS_TEST (nibabel, numpy).
PY=/usr/bin/python3
mkdir -p "$T/in" "$T/out"
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
CT="$D/real/NSCLC-LUNG1-020-RT"

$P segment "$CT" -o "$T/out/dicom" >/dev/null 2>"$T/err0" || echo "FAIL setup: $(cat "$T/err0")"
$P export "$CT" -o "$T/in/ct.nii.gz" >/dev/null 2>&1

name=dicom_export_nifti_segment_round_trip_gives_the_same_lungs
$P segment "$T/in/ct.nii.gz" -o "$T/out/nii" >/dev/null 2>"$T/err"
rc=$?
$P compare "$T/out/nii/mask.nii.gz" "$T/out/dicom/mask.nii.gz" --json >"$T/c.json" 2>>"$T/err"
if [ $rc -ne 0 ]; then
    fail $name "segment exit $rc: $(cat "$T/err")"
elif ! $PY -c 'import json,sys
r = json.load(open(sys.argv[1]))["labels"]
assert len(r) == 4 and all(l["dice"] == 1 for l in r), r
' "$T/c.json" 2>"$T/py"; then
    fail $name "$(tail -1 "$T/py")"
else
    pass $name
fi

name=the_mask_overlays_its_input_in_nibabel
if ! $PY -c 'import sys, numpy as np, nibabel as nib
ct = nib.load(sys.argv[1]); m = nib.load(sys.argv[2])
assert ct.shape == m.shape and np.allclose(ct.affine, m.affine, atol=1e-4), (ct.affine, m.affine)
hu = np.asarray(ct.dataobj); lab = np.asarray(m.dataobj)
for l in (1, 2):
    assert (lab == l).sum() > 100000 and np.median(hu[lab == l]) < -700, (l, np.median(hu[lab == l]))
# label 1 is the right lung: smaller LPS x = larger RAS x
xs = [(ct.affine @ np.c_[np.argwhere(lab == l)[::500], np.ones(len(np.argwhere(lab == l)[::500]))].T)[0].mean() for l in (1, 2)]
assert xs[0] > xs[1], xs
' "$T/in/ct.nii.gz" "$T/out/nii/mask.nii.gz" 2>"$T/py"; then
    fail $name "$(tail -1 "$T/py")"
else
    pass $name
fi

name=a_mirrored_copy_gives_the_same_lungs_in_patient_space
$PY -c 'import sys, numpy as np, nibabel as nib
im = nib.load(sys.argv[1]); a = np.asarray(im.dataobj)
F = np.eye(4); F[1, 1] = -1; F[1, 3] = a.shape[1] - 1
nib.save(nib.Nifti1Image(a[:, ::-1, :].copy(), im.affine @ F), sys.argv[2])' "$T/in/ct.nii.gz" "$T/in/flip.nii.gz"
$P segment "$T/in/flip.nii.gz" -o "$T/out/flip" >/dev/null 2>"$T/err"
rc=$?
$P compare "$T/out/flip/mask.nii.gz" "$T/out/dicom/mask.nii.gz" --json >"$T/f.json" 2>>"$T/err"
if [ $rc -ne 0 ]; then
    fail $name "segment exit $rc: $(cat "$T/err")"
elif ! $PY -c 'import json,sys
r = {l["name"]: l for l in json.load(open(sys.argv[1]))["labels"]}
assert r["right lung"]["dice"] > 0.99 and r["left lung"]["dice"] > 0.99, r
' "$T/f.json" 2>"$T/py"; then
    fail $name "$(tail -1 "$T/py")"
else
    pass $name
fi

name=scan_info_render_mesh_take_volume_files
$P scan "$T/in" >"$T/scan" 2>&1
$P info "$T/in/ct.nii.gz" --json >"$T/info.json" 2>&1; r1=$?
$P render "$T/in/ct.nii.gz" -o "$T/out/slice.png" >/dev/null 2>&1; r2=$?
$P mesh "$T/in/ct.nii.gz" --level 400 --decimate 0.05 -o "$T/out/bone.stl" >/dev/null 2>&1; r3=$?
if ! grep -q 'ct  *ct  .*512x512x108.*ct.nii.gz' "$T/scan" || ! grep -q 'flip.nii.gz' "$T/scan"; then
    fail $name "scan: $(cat "$T/scan")"
elif [ $r1 -ne 0 ] || ! grep -q '"dims": \[' "$T/info.json" || grep -q not_hu "$T/info.json"; then
    fail $name "info exit $r1: $(cat "$T/info.json")"
elif [ $r2 -ne 0 ] || [ ! -s "$T/out/slice.png" ] || [ $r3 -ne 0 ] || [ ! -s "$T/out/bone.stl" ]; then
    fail $name "render exit $r2, mesh exit $r3"
else
    pass $name
fi

name=export_writes_nrrd_through_the_same_dispatch
$P export "$CT" -o "$T/out/ct.nrrd" >/dev/null 2>"$T/err"; r1=$?
$P export "$CT" -o "$T/out/norm.nrrd" --normalized >/dev/null 2>>"$T/err"; r2=$?
$P export "$CT" -o "$T/out/ct.mhd" >/dev/null 2>"$T/e3"; r3=$?
$P info "$T/out/ct.nrrd" --json >"$T/nrrd.json" 2>>"$T/err"
if [ $r1 -ne 0 ] || [ $r2 -ne 0 ]; then
    fail $name "export exit $r1 / $r2: $(cat "$T/err")"
elif ! $PY -c 'import json,sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
for k in ("dims", "hu_min", "hu_max", "hu_mean"):
    assert a[k] == b[k], (k, a[k], b[k])
' "$T/info.json" "$T/nrrd.json" 2>"$T/py"; then
    fail $name "NRRD and NIfTI differ: $(tail -1 "$T/py")"
elif ! head -c 200 "$T/out/norm.nrrd" | grep -q '^type: float'; then
    fail $name "normalised NRRD: $(head -c 120 "$T/out/norm.nrrd")"
elif [ $r3 -ne 1 ] || [ -e "$T/out/ct.mhd" ] || ! grep -q '.nrrd' "$T/e3"; then
    fail $name "a .mhd output: exit $r3: $(cat "$T/e3")"
else
    pass $name
fi

name=stored_values_are_reported_as_not_hu
$PY -c 'import sys, numpy as np, nibabel as nib
im = nib.load(sys.argv[1]); a = np.asarray(im.dataobj).astype(np.int32) + 1024
nib.save(nib.Nifti1Image(np.clip(a, 0, 4095).astype(np.uint16), im.affine), sys.argv[2])' "$T/in/ct.nii.gz" "$T/in/raw.nii.gz"
$P segment "$T/in/raw.nii.gz" -o "$T/out/raw" >"$T/o" 2>&1
rc=$?
if [ $rc -ne 6 ] || ! grep -q 'not_hu:.*0\.\.4095' "$T/out/raw/report.json"; then
    fail $name "exit $rc: $(cat "$T/o")"
else
    pass $name
fi

name=bad_volume_headers_exit_3
printf 'NDims = 3\nDimSize = 512 512 400\nElementType = MET_SHORT\nElementDataFile = none.raw\n' >"$T/bad.mhd"
printf 'xx' >"$T/none.raw"
printf 'NRRD0004\ntype: short\ndimension: 3\nsizes: 4 4 4\nencoding: bzip2\n\n' >"$T/in/bad.nrrd"
$P info "$T/bad.mhd" >/dev/null 2>"$T/e1"; r1=$?
$P segment "$T/in/bad.nrrd" -o "$T/out/bad" >/dev/null 2>"$T/e2"; r2=$?
if [ $r1 -ne 3 ] || ! grep -q 'bad.mhd.*shorter than declared' "$T/e1"; then
    fail $name "mhd: exit $r1: $(cat "$T/e1")"
elif [ $r2 -ne 3 ] || ! grep -q 'bad.nrrd.*encoding' "$T/e2"; then
    fail $name "nrrd: exit $r2: $(cat "$T/e2")"
else
    pass $name
fi
rm -rf "$T"
