#!/bin/sh
# test_tui_ref.sh - reference masks over the TUI's slice viewer, driven in a
# detached tmux session as tests/test_tui.sh does: R proposes the RTSTRUCT
# found beside NSCLC-LUNG1-020's CT and opens it with every ROI that has
# contours (counted independently with pydicom); the cursor readout names
# the ROI under it; r steps through the ROIs one by one, then hides them; a
# NIfTI label image on a coarser grid lands where its affine puts it; a file
# that is no mask gives a message, not a crash.
PULMO=${PULMO:-./pulmo}
case "$PULMO" in /*) ;; *) PULMO="$(pwd)/$PULMO" ;; esac
DATA=${PM_DATA:-../shared/data}
case "$DATA" in /*) ;; *) DATA="$(pwd)/$DATA" ;; esac
TMP=${PM_TEST_TMP:-${TMPDIR:-/tmp}}/tuiref.$$
mkdir -p "$TMP"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
T="tmux -L pulmo-ref-$$ -f /dev/null"
S=ui
LONG=${PULMO_TUI_TIMEOUT:-300}
CT="$DATA/real/NSCLC-LUNG1-020-RT"
RT="$DATA/real/NSCLC-LUNG1-020-RT.rtstruct/RTSTRUCT.dcm"

if ! command -v tmux >/dev/null 2>&1; then
    echo "FAIL tui_ref_tests_can_run: tmux is not installed (it is in DEPS_TEST)"
    exit 1
fi
cleanup() {
    $T kill-server 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

. tests/tui_lib.sh
# The info row (plane, slice, cursor readout) above the status line.
info() { screen | tail -2 | head -1; }
# Replaces the prompt's proposed path with $1 (its editor knows Backspace
# only), checking each step on screen so a slow machine keeps the order.
enter_path() {
    wait_for "Reference mask" 30
    k=0
    while [ $k -lt 100 ]; do keys BSpace; k=$((k + 1)); done
    wait_gone "NSCLC-LUNG1-020-RT.rtstruct/" 30
    keys -l "$1"
    wait_for "$(basename "$1")" 30
    keys Enter
}

# ROIs with at least one contour, as the viewer should list them.
nroi=$($PY - "$RT" <<'PYEOF'
import sys, pydicom
ds = pydicom.dcmread(sys.argv[1])
print(sum(1 for c in ds.ROIContourSequence if len(getattr(c, "ContourSequence", [])) > 0))
PYEOF
)

$T new-session -d -s $S -x 120 -y 40 \
    "cd '$TMP' && env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=tmux-256color PULMO_STDERR='$TMP/stderr' '$PULMO' '$CT'; sleep 600"
if ! wait_for "1 series"; then
    fail tui_ref_opens_the_series "no browser"
    exit 0
fi
keys Enter
wait_for "Axial 55/108" || fail tui_ref_opens_the_series "the CT did not open"

name=tui_proposes_the_rtstruct_beside_the_series_and_shows_its_rois
keys R
if wait_for "NSCLC-LUNG1-020-RT.rtstruct/RTSTRUCT.dcm" 30; then
    keys Enter
    if [ -n "$nroi" ] && wait_for "reference RTSTRUCT.dcm: $nroi ROI(s)" 60; then
        pass $name
    else
        fail $name "expected '$nroi' ROI(s)"
    fi
else
    fail $name "the prompt did not propose the RTSTRUCT"
fi

# The cursor, moved into the right lung's parenchyma (patient's right: LPS x
# below -80 mm, air-filled), reads Lung-Right.
name=tui_cursor_names_the_reference_roi_under_it
i=0
while [ $i -lt 40 ]; do
    x=$(info | sed -n 's/.*LPS \(-*[0-9.]*\) .*/\1/p')
    hu=$(info | sed -n 's/.* HU \(-*[0-9]*\) .*/\1/p')
    [ -n "$x" ] && [ -n "$hu" ] && $PY -c "import sys; sys.exit(0 if $x < -80 and $hu < -700 else 1)" && break
    keys Left
    sleep 0.3
    i=$((i + 1))
done
if info | grep -q "ref Lung-Right"; then
    pass $name
else
    fail $name "at x=$x mm, HU $hu: $(info)"
fi

name=tui_r_steps_through_the_rois_then_hides_them
keys r
if wait_for "reference ROI 1/$nroi: Lung-Right" 30; then
    k=1
    while [ $k -lt "$nroi" ]; do keys r; k=$((k + 1)); done
    if wait_for "reference ROI $nroi/$nroi:" 30; then
        keys r
        if wait_for "reference hidden" 30 && ! info | grep -q " ref "; then
            keys r
            wait_for "all $nroi ROI(s)" 30 && pass $name || fail $name "r after hidden did not show all"
        else
            fail $name "not hidden after the last ROI"
        fi
    else
        fail $name "no ROI $nroi/$nroi"
    fi
else
    fail $name "first r did not show Lung-Right alone"
fi

# A NIfTI label 7 box on a 2 mm grid centred on the cursor's point (RAS
# affine, as nibabel writes): read through the affines onto the CT's grid.
name=tui_nifti_reference_lands_through_its_affine
lps=$(info | sed -n 's/.*LPS \(-*[0-9.]*\) \(-*[0-9.]*\) \(-*[0-9.]*\) mm.*/\1 \2 \3/p')
$PY - "$TMP/box.nii.gz" $lps <<'PYEOF' 2>"$TMP/py"
import sys, numpy as np, nibabel as nib
p = np.array([float(v) for v in sys.argv[2:5]])
a = np.zeros((40, 40, 30), np.uint8)
a[10:30, 10:30, 10:20] = 7
ras = np.diag([2.0, 2.0, 2.0, 1.0])
ras[:3, 3] = np.array([-p[0], -p[1], p[2]]) - 2.0 * np.array([19.5, 19.5, 14.5])
nib.save(nib.Nifti1Image(a, ras), sys.argv[1])
PYEOF
keys R
enter_path "$TMP/box.nii.gz"
if wait_for "reference box.nii.gz: 1 ROI(s)" 60 && info | grep -q "ref label 7"; then
    pass $name
else
    fail $name "$(cat "$TMP/py")"
fi

name=tui_a_file_that_is_no_mask_is_refused_with_a_message
echo "not a mask" >"$TMP/notes.txt"
keys R
enter_path "$TMP/notes.txt"
if wait_for "reference not opened:" 60; then
    keys j
    wait_for "Axial 56/108" 30 && pass $name || fail $name "the viewer stopped answering"
else
    fail $name "no message"
fi
