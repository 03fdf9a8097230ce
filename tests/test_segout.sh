#!/bin/sh
# test_segout.sh - what `pulmo segment` writes beyond the mask, on a phantom,
# LIDC-IDRI-0001 and a real RT planning CT: the report's lung zones (upper,
# middle, lower thirds), and with --dicom-seg OUT.dcm the DICOM
# Segmentation, which passes dciodvfy (dicom3tools) without errors, dcmdump (DCMTK) reads it,
# and read back by pulmo it holds exactly the voxels of mask.nii.gz (Dice 1
# per label); what it cannot describe (resampled, volume file, inside the
# input folder) is refused before anything is written. With --mesh OUT.stl the
# lungs' surface of the same run: a closed surface holding the report's lung
# volume.
P=${PULMO:-./pulmo}
D=${PM_DATA:-../shared/data}
T=${PM_TEST_TMP:-/tmp}/segout.$$
mkdir -p "$T"
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
PY=/usr/bin/python3

# check NAME SERIES: segment with --dicom-seg, validate, compare.
check() {
    name=$1 series=$2 out="$T/$1"
    $P segment "$series" -o "$out" --dicom-seg "$out.dcm" >/dev/null 2>"$T/err"; rc=$?
    if [ $rc -ne 0 ] || [ ! -s "$out.dcm" ]; then
        fail "${name}_seg_is_written" "exit $rc: $(cat "$T/err")"
        return
    fi
    pass "${name}_seg_is_written"
    if command -v dciodvfy >/dev/null 2>&1; then
        dciodvfy "$out.dcm" >"$T/vfy" 2>&1
        if grep -q "^Error" "$T/vfy"; then
            fail "${name}_seg_passes_dciodvfy" "$(grep "^Error" "$T/vfy" | head -5 | tr '\n' ' ')"
        else
            pass "${name}_seg_passes_dciodvfy"
        fi
    else
        echo "SKIP ${name}_seg_passes_dciodvfy: dicom3tools is not installed"
    fi
    if command -v dcmdump >/dev/null 2>&1; then
        if dcmdump "$out.dcm" >"$T/dump" 2>&1 && grep -q "(0008,0060) CS \[SEG\]" "$T/dump" &&
           grep -q "(0062,0001) CS \[BINARY\]" "$T/dump"; then
            pass "${name}_seg_reads_in_dcmdump"
        else
            fail "${name}_seg_reads_in_dcmdump" "$(head -5 "$T/dump")"
        fi
    else
        echo "SKIP ${name}_seg_reads_in_dcmdump: dcmtk is not installed"
    fi
    # The report's zones: the thirds add up to each lung and span a third
    # of its height (voxel centres: up to a slice less at each end).
    if $PY - "$out/report.json" >"$T/py" 2>&1 <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
dz = max(r["grid"]["spacing_mm"])
sides = {"right": r["right_ml"], "left": r["left_ml"]} if r["right_ml"] is not None else {"lung": r["lung_ml"]}
assert sorted(r["zones"]) == sorted(sides), r["zones"].keys()
for side, ml in sides.items():
    z = r["zones"][side]
    h = z["top_mm"] - z["bottom_mm"]
    assert abs(h - z["height_mm"]) < 1e-3 and h > 100, (side, z)
    parts = [z[k] for k in ("upper", "middle", "lower")]
    assert abs(sum(p["ml"] for p in parts) - ml) < 1e-3, (side, ml, parts)
    for p in parts:
        span = p["top_mm"] - p["bottom_mm"]
        assert h / 3 - 2 * dz - 1e-3 <= span <= h / 3 + 1e-3, (side, span, h)
        assert -1000 < p["mean_hu"] < -500 and 0 <= p["laa950_pct"] <= 100, p
    assert parts[0]["bottom_mm"] > parts[1]["top_mm"] and parts[1]["bottom_mm"] > parts[2]["top_mm"], parts
PYEOF
    then
        pass "${name}_zones_are_thirds_of_each_lung"
    else
        fail "${name}_zones_are_thirds_of_each_lung" "$(tail -2 "$T/py")"
    fi
    $P compare "$out.dcm" "$out/mask.nii.gz" --json >"$T/cmp.json" 2>"$T/err"; rc=$?
    if [ $rc -ne 0 ]; then
        fail "${name}_seg_reads_back_as_the_mask" "exit $rc: $(cat "$T/err")"
    elif ! $PY - "$T/cmp.json" "$out/mask.nii.gz" >"$T/py" 2>&1 <<'PYEOF'
import json, sys
import nibabel as nib, numpy as np
r, _ = json.JSONDecoder().raw_decode(open(sys.argv[1]).read())
want = sorted(int(v) for v in np.unique(np.asarray(nib.load(sys.argv[2]).dataobj)) if v)
got = sorted(l["label"] for l in r["labels"] if isinstance(l["label"], int))
assert got == want, (got, want)
for l in r["labels"]:
    assert l["dice"] == 1 and l["ml_difference"] == 0, l
PYEOF
    then
        fail "${name}_seg_reads_back_as_the_mask" "$(tail -2 "$T/py")"
    else
        pass "${name}_seg_reads_back_as_the_mask"
    fi
}

check phantom samples/patients/PHANTOM-01
check lidc "$D/patients/LIDC-IDRI-0001"
check rt_planning_ct "$D/real/NSCLC-LUNG1-020-RT"

name=dicom_seg_refuses_what_it_cannot_describe
$P segment samples/patients/PHANTOM-01 -o "$T/r" --resample 2 --dicom-seg "$T/r.dcm" >/dev/null 2>"$T/e1"; r1=$?
$P segment samples/patients/PHANTOM-01 -o "$T/p" --dicom-seg samples/patients/PHANTOM-01/x.dcm \
    >/dev/null 2>"$T/e2"; r2=$?
mkdir -p "$T/vol"
$P export samples/patients/PHANTOM-01 -o "$T/vol/ct.nii.gz" >/dev/null 2>&1
$P segment "$T/vol/ct.nii.gz" -o "$T/v" --dicom-seg "$T/v.dcm" >/dev/null 2>"$T/e3"; r3=$?
if [ $r1 -ne 1 ] || ! grep -q -- "--resample" "$T/e1" || [ -e "$T/r" ]; then
    fail $name "--resample: exit $r1: $(cat "$T/e1")"
elif [ $r2 -ne 4 ] || ! grep -q "inside the input folder" "$T/e2" || [ -e samples/patients/PHANTOM-01/x.dcm ]; then
    fail $name "inside the input: exit $r2: $(cat "$T/e2")"
elif [ $r3 -ne 1 ] || ! grep -q "volume file" "$T/e3" || [ -e "$T/v.dcm" ]; then
    fail $name "volume file: exit $r3: $(cat "$T/e3")"
else
    pass $name
fi
name=segment_writes_the_lungs_surface_of_its_own_mask
$P segment samples/patients/PHANTOM-01 -o "$T/m" --resample 1.5 --mesh "$T/m.stl" --smooth 10 --decimate 0.2 \
    --json >"$T/m.json" 2>"$T/err"; rc=$?
if [ $rc -ne 0 ]; then
    fail $name "exit $rc: $(cat "$T/err")"
elif ! $PY - "$T/m.json" "$T/m.stl" >"$T/py" 2>&1 <<'PYEOF'
import json, struct, sys
import numpy as np
r = json.load(open(sys.argv[1]))
raw = open(sys.argv[2], "rb").read()
n = struct.unpack_from("<I", raw, 80)[0]
assert len(raw) == 84 + 50 * n and n == r["mesh_triangles"], (len(raw), n, r.get("mesh_triangles"))
t = np.frombuffer(raw[84:], dtype=np.dtype([("n", "<f4", 3), ("v", "<f4", (3, 3)), ("a", "<u2")]))["v"].astype(float)
vol = np.einsum("ij,ij->i", t[:, 0], np.cross(t[:, 1], t[:, 2])).sum() / 6000.0
lungs = r["right_ml"] + r["left_ml"]
assert abs(abs(vol) - r["mesh_ml"]) < 0.01 * lungs, (vol, r["mesh_ml"])
assert abs(abs(vol) - lungs) < 0.03 * lungs, (vol, lungs)
# every edge shared by exactly two triangles: closed
q = np.round(t.reshape(-1, 3), 4)
_, idx = np.unique(q, axis=0, return_inverse=True)
f = idx.reshape(-1, 3)
e = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1)
_, cnt = np.unique(e, axis=0, return_counts=True)
assert (cnt == 2).all(), np.bincount(cnt)
PYEOF
then
    fail $name "$(tail -2 "$T/py")"
else
    pass $name
fi

# With --structures the surface waits for label 5 and is built after the
# mask, on the main thread (the other path of segment_job.c's mesh job);
# it leaves the structures out, as it did before the mesh had a thread.
name=segment_mesh_with_structures_leaves_them_out
$P segment samples/patients/PHANTOM-01 -o "$T/ms" --resample 1.5 --structures --mesh "$T/ms.stl" --smooth 10 \
    --decimate 0.2 --json >"$T/ms.json" 2>"$T/err"; rc=$?
if [ $rc -ne 0 ]; then
    fail $name "exit $rc: $(cat "$T/err")"
elif ! $PY - "$T/ms.json" "$T/ms.stl" "$T/m.json" >"$T/py" 2>&1 <<'PYEOF'
import json, struct, sys
r, plain = json.load(open(sys.argv[1])), json.load(open(sys.argv[3]))
raw = open(sys.argv[2], "rb").read()
n = struct.unpack_from("<I", raw, 80)[0]
assert len(raw) == 84 + 50 * n and n == r["mesh_triangles"] > 0, (len(raw), n, r.get("mesh_triangles"))
# labels 1-2 without the structures (label 5) inside them: the surface
# encloses the lungs' volume less the structures'
s = r["structures_ml"]
assert s > 0, s
assert abs(plain["mesh_ml"] - r["mesh_ml"] - s) < 0.2 * s, (plain["mesh_ml"], r["mesh_ml"], s)
PYEOF
then
    fail $name "$(tail -2 "$T/py")"
else
    pass $name
fi

name=segment_mesh_of_two_slices_is_a_warning_not_a_file
$P segment "$D/edge/two-slices-no-modality" -o "$T/two" --mesh "$T/two.stl" >/dev/null 2>"$T/err"; rc=$?
if [ $rc -ne 0 ] || [ -e "$T/two.stl" ] || ! grep -q '"no_mesh: ' "$T/two/report.json"; then
    fail $name "exit $rc, $(ls "$T" | tr '\n' ' '): $(cat "$T/err")"
else
    pass $name
fi

name=segment_mesh_options_are_checked_first
$P segment samples/patients/PHANTOM-01 -o "$T/a" --smooth 5 >/dev/null 2>"$T/e1"; r1=$?
$P segment samples/patients/PHANTOM-01 -o "$T/b" --mesh "$T/b.vtk" >/dev/null 2>"$T/e2"; r2=$?
$P segment samples/patients/PHANTOM-01 -o "$T/c" --mesh samples/patients/PHANTOM-01/l.stl >/dev/null 2>"$T/e3"; r3=$?
if [ $r1 -ne 1 ] || ! grep -q -- "--mesh" "$T/e1" || [ -e "$T/a" ]; then
    fail $name "--smooth alone: exit $r1: $(cat "$T/e1")"
elif [ $r2 -ne 1 ] || ! grep -q "\.stl" "$T/e2" || [ -e "$T/b" ]; then
    fail $name "bad extension: exit $r2: $(cat "$T/e2")"
elif [ $r3 -ne 4 ] || [ -e samples/patients/PHANTOM-01/l.stl ] || [ -e "$T/c" ]; then
    fail $name "inside the input: exit $r3: $(cat "$T/e3")"
else
    pass $name
fi
rm -rf "$T"
