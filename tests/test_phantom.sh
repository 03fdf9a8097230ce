#!/bin/sh
# test_phantom.sh - `pulmo phantom` from the command line: usage errors, and
# the truth it writes is readable by nibabel with the lungs on the right
# sides of the RAS affine and the JSON volumes.
PULMO=${PULMO:-./pulmo}
T=${PM_TEST_TMP:-/tmp}/phantom-sh.$$
mkdir -p "$T"

"$PULMO" phantom >/dev/null 2>&1
rc=$?
if [ "$rc" -eq 1 ]; then echo "PASS phantom_without_outdir_is_a_usage_error"
else echo "FAIL phantom_without_outdir_is_a_usage_error: exit $rc"; fi

"$PULMO" phantom --patient NOPE "$T/x" >/dev/null 2>"$T/err"
rc=$?
if [ "$rc" -eq 1 ] && grep -q "NOPE" "$T/err" && [ ! -e "$T/x" ]; then
    echo "PASS unknown_phantom_is_a_usage_error_and_writes_nothing"
else echo "FAIL unknown_phantom_is_a_usage_error_and_writes_nothing: exit $rc"; fi

n=$("$PULMO" phantom --list | grep -c '^PHANTOM-')
if [ "$n" -ge 3 ]; then echo "PASS phantom_list_names_the_standard_set"
else echo "FAIL phantom_list_names_the_standard_set: $n phantoms"; fi

if "$PULMO" phantom --patient PHANTOM-05 "$T/patients" 2>"$T/err" \
   && [ -f "$T/truth/PHANTOM-05.labels.nii.gz" ] && [ -f "$T/truth/PHANTOM-05.json" ]; then
    echo "PASS phantom_writes_truth_beside_the_patients_folder"
else echo "FAIL phantom_writes_truth_beside_the_patients_folder: $(cat "$T/err")"; fi

# Only the DICOM series is inside the patient folder.
other=$(find "$T/patients" -type f ! -name '[0-9]*' | wc -l)
if [ -d "$T/patients/PHANTOM-05" ] && [ "$other" -eq 0 ]; then echo "PASS series_folder_holds_only_dicom"
else echo "FAIL series_folder_holds_only_dicom: $other other files"; fi

if ! /usr/bin/python3 -c 'import nibabel, numpy' 2>/dev/null; then
    echo "FAIL nibabel_reads_the_truth: /usr/bin/python3 lacks nibabel (make deps)"
else
    out=$(/usr/bin/python3 - "$T/truth/PHANTOM-05" <<'PY' 2>&1
import sys, json, numpy as np, nibabel as nib
base = sys.argv[1]
img = nib.load(base + ".labels.nii.gz")
lab = np.asarray(img.dataobj)
meta = json.load(open(base + ".json"))
assert list(lab.shape) == meta["dims"], (lab.shape, meta["dims"])
names = {1: "right_lung", 2: "left_lung", 3: "airway", 4: "nodule"}
for l, n in names.items():
    c = int((lab == l).sum())
    assert c == meta["voxels"][n], (n, c, meta["voxels"][n])
    assert abs(c * meta["voxel_ml"] - meta["volumes_ml"][n]) < 1e-3, n
# RAS world: the patient's right is +R.
def cx(l):
    ijk = np.argwhere(lab == l).mean(axis=0)
    return (img.affine @ np.append(ijk, 1))[0]
assert cx(1) > 20 and cx(2) < -20, (cx(1), cx(2))
print("ok")
PY
)
    if [ "$out" = ok ]; then echo "PASS nibabel_reads_the_truth"
    else echo "FAIL nibabel_reads_the_truth: $out"; fi
fi
rm -rf "$T"
