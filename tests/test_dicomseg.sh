#!/bin/sh
# test_dicomseg.sh - DICOM SEG read as a label mask: pydicom writes a binary
# SEG (bits packed across frames, frames only on the slices a segment
# touches, in shuffled order, an oblique-free LPS grid with an offset origin)
# from a nibabel label image; `pulmo compare` must find the SEG's voxels
# exactly where the label image has them, by name or by segment number.
P=${PULMO:-./pulmo}
T=${PM_TEST_TMP:-/tmp}/dicomseg.$$
# Debian's python3 has the packages of DEPS_TEST (nibabel, numpy, pydicom).
PY=/usr/bin/python3
mkdir -p "$T"
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

$PY - "$T" <<'PYEOF' 2>"$T/py" || { echo "FAIL setup: $(tail -1 "$T/py")"; exit 0; }
import sys, numpy as np, nibabel as nib, pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid
out = sys.argv[1]
nx, ny, nz = 40, 30, 12
sp = (0.8, 0.6, 2.5)                      # x, y, z mm
org = np.array([-20.0, 35.0, -110.0])     # LPS of voxel (0,0,0)
lab = np.zeros((nx, ny, nz), np.uint8)
lab[3:15, 4:20, 2:9] = 1                  # "Right Lung"
lab[22:37, 5:25, 3:10] = 2                # "Left Lung"
lab[10:13, 10:14, 5:7] = 5                # "GTV-1", ignored
lab[25:30, 8:12, 11] = 4                  # "Heart": by its number
lps = np.eye(4); lps[:3, :3] = np.diag(sp); lps[:3, 3] = org
nib.save(nib.Nifti1Image(lab, np.diag([-1, -1, 1, 1]) @ lps), out + "/labels.nii.gz")
segs = [(1, "Right Lung"), (2, "Left Lung"), (3, "GTV-1"), (4, "Heart")]
value = {1: 1, 2: 2, 3: 5, 4: 4}
frames = [(s, k) for s, _ in segs for k in range(nz) if (lab[:, :, k] == value[s]).any()]
rng = np.random.default_rng(1); rng.shuffle(frames)
ds = Dataset()
ds.file_meta = FileMetaDataset()
ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.66.4"
ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = generate_uid()
ds.Modality = "SEG"; ds.SeriesInstanceUID = generate_uid(); ds.StudyInstanceUID = generate_uid()
ds.PatientID = "SEGTEST"; ds.SegmentationType = "BINARY"
ds.Rows, ds.Columns, ds.NumberOfFrames = ny, nx, len(frames)
ds.BitsAllocated = ds.BitsStored = 1; ds.HighBit = 0; ds.PixelRepresentation = 0
ds.SamplesPerPixel = 1; ds.PhotometricInterpretation = "MONOCHROME2"
ds.SegmentSequence = Sequence([Dataset() for _ in segs])
for item, (n, name) in zip(ds.SegmentSequence, segs):
    item.SegmentNumber = n; item.SegmentLabel = name; item.SegmentAlgorithmType = "MANUAL"
sh = Dataset()
pm = Dataset(); pm.PixelSpacing = [sp[1], sp[0]]; pm.SliceThickness = sp[2]
po = Dataset(); po.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
sh.PixelMeasuresSequence = Sequence([pm]); sh.PlaneOrientationSequence = Sequence([po])
ds.SharedFunctionalGroupsSequence = Sequence([sh])
per, bits = [], []
for s, k in frames:
    f = Dataset(); pp = Dataset(); pp.ImagePositionPatient = [float(x) for x in org + [0, 0, k * sp[2]]]
    f.PlanePositionSequence = Sequence([pp])
    si = Dataset(); si.ReferencedSegmentNumber = s; f.SegmentIdentificationSequence = Sequence([si])
    per.append(f)
    bits.append((lab[:, :, k] == value[s]).T.ravel())     # rows (y) of columns (x)
ds.PerFrameFunctionalGroupsSequence = Sequence(per)
ds.PixelData = np.packbits(np.concatenate(bits).astype(np.uint8), bitorder="little").tobytes()
ds.is_little_endian = True; ds.is_implicit_VR = False
ds.save_as(out + "/seg.dcm", write_like_original=False)
PYEOF

name=seg_segments_land_on_their_voxels
$P compare "$T/seg.dcm" "$T/labels.nii.gz" --ignore 'GTV*' --json >"$T/c.json" 2>"$T/err"
rc=$?
if [ $rc -ne 0 ]; then
    fail $name "exit $rc: $(cat "$T/err")"
elif ! $PY -c 'import json,sys
r = json.load(open(sys.argv[1]))
d = {l["label"]: l for l in r["labels"]}
assert set(d) == {1, 2, 4, 5, "lungs"}, sorted(map(str, d))
for k in (1, 2, 4, "lungs"):
    assert d[k]["dice"] == 1 and d[k]["hd95_mm"] == 0, d[k]
assert d[5]["ml_reference"] == 0, d[5]
assert r["unscored_mask_labels"] == [], r
' "$T/c.json" 2>"$T/py"; then
    fail $name "$(tail -1 "$T/py")"
else
    pass $name
fi

name=seg_as_reference_is_scored_on_the_mask_grid
# The SEG holds only slices 2..11; a mask voxel on slice 0 must still count.
$PY -c 'import sys, numpy as np, nibabel as nib
im = nib.load(sys.argv[1]); a = np.asarray(im.dataobj).copy(); a[5, 5, 0] = 1
nib.save(nib.Nifti1Image(a, im.affine), sys.argv[2])' "$T/labels.nii.gz" "$T/extra.nii.gz"
$P compare "$T/extra.nii.gz" "$T/seg.dcm" --json >"$T/e.json" 2>"$T/err"
rc=$?
if [ $rc -ne 0 ]; then
    fail $name "exit $rc: $(cat "$T/err")"
elif ! $PY -c 'import json,sys
r = json.load(open(sys.argv[1]))
d = {l["label"]: l for l in r["labels"]}
assert r["reference_kind"] == "seg" and d[1]["dice"] < 1 and d[2]["dice"] == 1, d
assert d[1]["name"] == "Right Lung", d[1]
' "$T/e.json" 2>"$T/py"; then
    fail $name "$(tail -1 "$T/py")"
else
    pass $name
fi

name=seg_meshes_like_the_label_image
$P mesh "$T/seg.dcm" --label 2 -o "$T/seg.stl" --json >"$T/m1.json" 2>"$T/err"
r1=$?
$P mesh "$T/labels.nii.gz" --label 2 -o "$T/nii.stl" --json >"$T/m2.json" 2>>"$T/err"
r2=$?
if [ $r1 -ne 0 ] || [ $r2 -ne 0 ]; then
    fail $name "exit $r1 $r2: $(cat "$T/err")"
elif ! $PY -c 'import json,sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
# NIfTI stores its affine as float32: positions agree to 1e-5 mm.
assert a["triangles"] == b["triangles"] and abs(a["volume_ml"] - b["volume_ml"]) < 1e-6, (a, b)
for k in ("bbox_min_mm", "bbox_max_mm"):
    assert max(abs(x - y) for x, y in zip(a[k], b[k])) < 1e-4, (a[k], b[k])
' "$T/m1.json" "$T/m2.json" 2>"$T/py"; then
    fail $name "$(tail -1 "$T/py")"
else
    pass $name
fi

name=a_cut_seg_exits_3
head -c 1500 "$T/seg.dcm" >"$T/cut.dcm"
$P compare "$T/labels.nii.gz" "$T/cut.dcm" >/dev/null 2>"$T/err"
rc=$?
if [ $rc -ne 3 ] || ! grep -q cut.dcm "$T/err"; then
    fail $name "exit $rc: $(cat "$T/err")"
else
    pass $name
fi
rm -rf "$T"
