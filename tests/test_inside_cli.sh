#!/bin/sh
# test_inside_cli.sh - inside the lungs from the command line: `pulmo segment
# --structures` (label 5 and structures_ml), `pulmo cluster` (labels,
# 4D float32 memberships that sum to 1, clusters.json, the same seed giving
# the same files, exit codes), and `pulmo mesh --crop` around a phantom
# nodule (its volume within 5 % of the truth).
PULMO=${PULMO:-./pulmo}
tmp=${PM_TEST_TMP:-/tmp}/inside-sh.$$
mkdir -p "$tmp"
P=samples/patients/PHANTOM-01
T=samples/truth/PHANTOM-01
PY=/usr/bin/python3
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
expect_rc() { # name want cmd...
    name=$1 want=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
    if [ "$rc" -eq "$want" ]; then pass "$name"; else fail "$name" "exit $rc, want $want: $(head -c 300 "$tmp/err")"; fi
}

# segment --structures: label 5 in the mask, structures_ml in the report
$PULMO segment "$P" -o "$tmp/seg" --structures --json >"$tmp/seg.json" 2>"$tmp/err"
rc=$?
out=$($PY - "$tmp/seg" <<'PY' 2>&1
import sys, json, numpy as np, nibabel as nib
d = sys.argv[1]
r = json.load(open(d + "/report.json"))
m = np.asarray(nib.load(d + "/mask.nii.gz").dataobj)
n5 = int((m == 5).sum())
ml = n5 * float(np.prod(nib.load(d + "/mask.nii.gz").header.get_zooms()[:3])) / 1000
assert n5 > 0, "no label 5"
assert abs(r["structures_ml"] - ml) < 0.01 * ml + 0.01, (r["structures_ml"], ml)
assert r["structures_ml"] < 0.1 * r["lung_ml"], r
print("ok")
PY
)
if [ $rc -eq 0 ] && [ "$out" = ok ]; then pass segment_structures_writes_label_5_and_its_volume
else fail segment_structures_writes_label_5_and_its_volume "rc $rc: $out $(head -c 200 "$tmp/err")"; fi

# cluster with the segmentation's mask on four slices
$PULMO cluster "$P" -o "$tmp/cl" --mask "$tmp/seg/mask.nii.gz" --slices 50:54 --clusters 4 --seed 7 \
    >"$tmp/cl.txt" 2>"$tmp/err"
rc=$?
out=$($PY - "$tmp/cl" "$tmp/seg/mask.nii.gz" <<'PY' 2>&1
import sys, json, numpy as np, nibabel as nib
d = sys.argv[1]
lab = np.asarray(nib.load(d + "/labels.nii.gz").dataobj)
img = nib.load(d + "/memberships.nii.gz")
u = np.asarray(img.dataobj)
m = np.asarray(nib.load(sys.argv[2]).dataobj)
c = json.load(open(d + "/clusters.json"))
assert img.get_data_dtype() == np.float32, img.get_data_dtype()
assert u.shape == lab.shape + (4,), u.shape
inside = np.isin(m, [1, 2, 4, 5])
inside[:, :, :50] = False
inside[:, :, 54:] = False
s = u.sum(axis=3)
assert np.abs(s[inside] - 1).max() < 1e-5, np.abs(s[inside] - 1).max()
assert (u[~inside] == 0).all() and (lab[~inside] == 0).all()
assert (lab[inside] == u[inside].argmax(axis=1) + 1).all()
cen = [k["center_hu"] for k in c["per_cluster"]]
assert cen == sorted(cen), cen
for i, k in enumerate(c["per_cluster"]):
    assert k["voxels"] == int((lab == i + 1).sum()), (i, k["voxels"])
    for key in ("covariance", "ml", "iterations", "final_change"):
        assert key in k, key
assert sum(k["voxels"] for k in c["per_cluster"]) == int(inside.sum())
small = min(range(4), key=lambda i: c["per_cluster"][i]["voxels"])
assert c["smallest_cluster"] == small + 1 and c["per_cluster"][small]["smallest"]
print("ok")
PY
)
if [ $rc -eq 0 ] && [ "$out" = ok ]; then pass cluster_writes_labels_memberships_and_clusters_json
else fail cluster_writes_labels_memberships_and_clusters_json "rc $rc: $out $(head -c 200 "$tmp/err")"; fi

# the same seed gives the same files
$PULMO cluster "$P" -o "$tmp/cl2" --mask "$tmp/seg/mask.nii.gz" --slices 50:54 --clusters 4 --seed 7 \
    >/dev/null 2>"$tmp/err"
if cmp -s "$tmp/cl/labels.nii.gz" "$tmp/cl2/labels.nii.gz" \
   && cmp -s "$tmp/cl/memberships.nii.gz" "$tmp/cl2/memberships.nii.gz" \
   && [ "$(grep -v '"load"\|"mask"\|"cluster"\|"write"' "$tmp/cl/clusters.json")" = \
        "$(grep -v '"load"\|"mask"\|"cluster"\|"write"' "$tmp/cl2/clusters.json")" ]; then
    pass cluster_with_the_same_seed_gives_the_same_files
else
    fail cluster_with_the_same_seed_gives_the_same_files "outputs differ: $(head -c 200 "$tmp/err")"
fi

# bad arguments, a mask of another grid, an output inside the series
expect_rc cluster_refuses_one_cluster 1 $PULMO cluster "$P" -o "$tmp/x" --clusters 1
expect_rc cluster_refuses_a_fuzzifier_of_1 1 $PULMO cluster "$P" -o "$tmp/x" --fuzzifier 1
expect_rc cluster_refuses_bad_slices 1 $PULMO cluster "$P" -o "$tmp/x" --slices 5:5 --mask "$tmp/seg/mask.nii.gz"
expect_rc cluster_refuses_slices_past_the_end 1 $PULMO cluster "$P" -o "$tmp/x" --slices 0:9999 --mask "$tmp/seg/mask.nii.gz"
expect_rc cluster_refuses_a_mask_of_another_grid 1 $PULMO cluster "$P" -o "$tmp/x" --mask samples/truth/PHANTOM-02.labels.nii.gz
expect_rc cluster_never_writes_inside_the_series 4 $PULMO cluster "$P" -o "$P/out"
expect_rc cluster_says_no_lungs_on_slices_without_lung 6 $PULMO cluster "$P" -o "$tmp/x" --slices 0:1 --mask "$tmp/seg/mask.nii.gz"
grep -q "too few" "$tmp/err" || fail cluster_no_lungs_message "$(head -c 200 "$tmp/err")"

# crop: the nodule inside a lung from the truth map, volume within 5 %
set -- $($PY -c "
import json
n = [n for n in json.load(open('$T.json'))['nodules'] if not n['juxtapleural']][0]
print('%.4f,%.4f,%.4f,%.2f' % tuple(n['center_lps'] + [n['radius_mm'] + 4]), n['volume_ml'])")
$PULMO mesh "$T.labels.nii.gz" --label 4 --crop "$1" -o "$tmp/nod.stl" --json >"$tmp/nod.json" 2>"$tmp/err"
rc=$?
vol=$(sed -n 's/.*"volume_ml": *\([0-9.]*\).*/\1/p' "$tmp/nod.json")
if [ $rc -eq 0 ] && grep -q '"watertight": true' "$tmp/nod.json" \
   && awk -v v="$vol" -v t="$2" 'BEGIN { exit !(v > 0.95 * t && v < 1.05 * t) }'; then
    pass cropped_mesh_of_the_phantom_nodule_has_its_volume
else
    fail cropped_mesh_of_the_phantom_nodule_has_its_volume "rc $rc, volume '$vol' mL, truth $2: $(head -c 200 "$tmp/err")"
fi
# the HU surface of the same cube stays inside the cube
c=$1
$PULMO mesh "$P" --level -400 --crop "$c" -o "$tmp/cube.stl" --json >"$tmp/cube.json" 2>"$tmp/err"
rc=$?
out=$($PY - "$tmp/cube.json" "$c" <<'PY' 2>&1
import sys, json
j = json.load(open(sys.argv[1]))
x, y, z, r = map(float, sys.argv[2].split(","))
lo, hi = j["bbox_min_mm"], j["bbox_max_mm"]
for a, c in enumerate((x, y, z)):
    assert lo[a] >= c - r - 3 and hi[a] <= c + r + 3, (a, lo, hi)
assert j["watertight"] and j["volume_ml"] > 0
print("ok")
PY
)
if [ $rc -eq 0 ] && [ "$out" = ok ]; then pass cropped_hu_surface_stays_in_the_cube
else fail cropped_hu_surface_stays_in_the_cube "rc $rc: $out $(head -c 200 "$tmp/err")"; fi
expect_rc mesh_refuses_a_crop_outside_the_volume 1 $PULMO mesh "$P" --level -400 --crop 9000,0,0,5 -o "$tmp/o.stl"
expect_rc mesh_refuses_a_malformed_crop 1 $PULMO mesh "$P" --crop 1,2,3 -o "$tmp/o.stl"

rm -rf "$tmp"
