#!/bin/sh
# test_tui.sh - drives the terminal UI (`pulmo ROOT`) in a detached tmux
# session: sends keys, reads the screen with capture-pane, and checks what a
# user would see. Waits are bounded polls of the screen, never fixed sleeps,
# so a slow sanitized build on a busy machine only takes longer.
#
# Prints "PASS name" / "FAIL name: why" lines for tests/run.sh.

PULMO=${PULMO:-./pulmo}
case "$PULMO" in /*) ;; *) PULMO="$(pwd)/$PULMO" ;; esac
DATA=${PM_DATA:-../shared/data}
case "$DATA" in /*) ;; *) DATA="$(pwd)/$DATA" ;; esac
TMP=${PM_TEST_TMP:-${TMPDIR:-/tmp}}/tui.$$
mkdir -p "$TMP"
# Debian's python3 has the packages of DEPS_TEST (nibabel, numpy).
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
SOCK="pulmo-test-$$"
T="tmux -L $SOCK -f /dev/null"
S=ui
# Generous: a sanitized build on 2 shared cores loads a series slowly.
LONG=${PULMO_TUI_TIMEOUT:-300}

if ! command -v tmux >/dev/null 2>&1; then
    echo "FAIL tui_tests_can_run: tmux is not installed (it is in DEPS_TEST)"
    exit 1
fi

cleanup() {
    $T kill-server 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
# An idle session keeps the private server alive between pulmo sessions.
$T new-session -d -s keep -x 80 -y 24 "sleep 3600"

. tests/tui_lib.sh

# start ARGS...: runs pulmo in a 120x40 session once $TMP/go exists (so a
# pipe-pane can be attached first); its exit status lands in $TMP/exit.
start() {
    rm -f "$TMP/exit" "$TMP/go"
    $T kill-session -t $S 2>/dev/null
    # exec keeps the pid written to $TMP/pid (the signal test uses it).
    cat >"$TMP/pulmo.sh" <<EOF
echo \$\$ >"$TMP/pid"
exec env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=${PULMO_TERM:-tmux-256color} PULMO_STDERR="$TMP/stderr" "$PULMO" $*
EOF
    cat >"$TMP/run.sh" <<EOF
while [ ! -e "$TMP/go" ]; do sleep 0.1; done
cd "$TMP"
sh "$TMP/pulmo.sh"
echo \$? >"$TMP/exit"
stty -a >"$TMP/stty" 2>&1
echo "PULMO EXITED"
sleep 600
EOF
    $T new-session -d -s $S -x 120 -y 40 "sh $TMP/run.sh"
}
go() { touch "$TMP/go"; }

exit_status() {
    end=$(( $(date +%s) + 60 ))
    while [ ! -s "$TMP/exit" ] && [ "$(date +%s)" -le "$end" ]; do sleep 0.2; done
    cat "$TMP/exit" 2>/dev/null
}

# ---------------------------------------------------------------- browse
start "'$DATA/patients'"
go
if wait_for "2 series"; then
    if screen | grep -qF "LIDC-IDRI-0001" && screen | grep -qF "QMNx85rKkkg"; then
        pass tui_lists_patients_and_series
    else
        fail tui_lists_patients_and_series "both patients should be listed"
    fi
else
    fail tui_lists_patients_and_series "no '2 series' after the scan"
fi

keys / L I D C Enter
if wait_for "Filter: LIDC" 30 && wait_gone "QMNx85rKkkg" 30 && screen | grep -qF "LIDC-IDRI-0001"; then
    pass tui_filter_keeps_matching_patients
else
    fail tui_filter_keeps_matching_patients "filter LIDC should hide the head CT"
fi

keys '?'
if wait_for "filter (any text" 30; then
    keys Escape
    if wait_gone "filter (any text" 30; then pass tui_help_lists_keys_and_escape_closes
    else fail tui_help_lists_keys_and_escape_closes "Escape did not close the help"; fi
else
    fail tui_help_lists_keys_and_escape_closes "? showed no key list"
fi

# ---------------------------------------------------------------- view
keys Enter
if wait_for "Axial 67/133"; then
    pass tui_opens_lidc_in_the_slice_viewer
else
    fail tui_opens_lidc_in_the_slice_viewer "no 'Axial 67/133' after Enter"
fi

keys j j j
if wait_for "Axial 70/133" 30; then
    keys NPage
    wait_for "Axial 80/133" 30 && keys g && wait_for "Axial 1/133" 30 && keys G &&
        wait_for "Axial 133/133" 30 && pass tui_scrolls_slices_with_j_pgdn_g_G ||
        fail tui_scrolls_slices_with_j_pgdn_g_G "PgDn/g/G did not move as expected"
else
    fail tui_scrolls_slices_with_j_pgdn_g_G "j did not advance the slice"
fi

keys 2
if wait_for "W 400 L 40 mediastinum" 30; then
    keys W
    wait_for "W 420 L 40" 30 && pass tui_changes_window_presets_and_width ||
        fail tui_changes_window_presets_and_width "W did not widen the window"
else
    fail tui_changes_window_presets_and_width "preset 2 not shown"
fi

# The cursor reads HU and LPS millimetres; moving it changes the voxel.
keys 1 g
before=$(screen | grep -o '([0-9]*,[0-9]*,[0-9]*) HU -*[0-9]*  LPS')
keys Right Right Right
sleep 0.1
if wait_gone "$before" 30 && screen | grep -q '([0-9]*,[0-9]*,[0-9]*) HU -*[0-9]*  LPS -*[0-9.]* -*[0-9.]* -*[0-9.]* mm'; then
    pass tui_cursor_reports_hu_and_patient_coordinates
else
    fail tui_cursor_reports_hu_and_patient_coordinates "cursor readout missing or unchanged"
fi

keys c
if wait_for "Coronal" 30; then
    keys s
    wait_for "Sagittal" 30 && keys a && wait_for "Axial" 30 &&
        pass tui_switches_planes || fail tui_switches_planes "s/a did not switch planes"
else
    fail tui_switches_planes "c did not show the coronal plane"
fi

# Resize to 80x24: the layout follows and nothing is wider than the screen.
# "Axial" is on the screen before the resize too, so the whole screen is
# looked at until it fits (under valgrind the redraw takes seconds).
fits_80x24() {
    screen | grep -qF "Axial" && [ "$(screen | wc -l)" -le 24 ] &&
        [ "$(screen | PYTHONIOENCODING=utf-8 $PY -c 'import sys; print(max(len(l.rstrip("\n")) for l in sys.stdin))')" -le 80 ] &&
        screen | tail -1 | grep -qF "q back"
}
$T resize-window -t $S -x 80 -y 24 2>/dev/null || $T resize-pane -t $S -x 80 -y 24
if wait_until $(( 30 * ${PULMO_TEST_SLOW:-1} )) fits_80x24; then
    pass tui_redraws_at_80x24_after_resize
else
    fail tui_redraws_at_80x24_after_resize "screen not redrawn for 80x24"
fi
$T resize-window -t $S -x 120 -y 40 2>/dev/null || $T resize-pane -t $S -x 120 -y 40

keys m
if wait_for "Axial" 30; then pass tui_shows_a_montage; else fail tui_shows_a_montage "montage key broke the screen"; fi
keys m

# ---------------------------------------------------------------- segment
keys S
if wait_re "Lungs [0-9][0-9]* mL\$" && wait_for "Segmentation: default" 5; then
    lung=$(screen | sed -n 's/.*Lungs \([0-9][0-9]*\) mL.*/\1/p' | head -1)
    if [ "$lung" -gt 2000 ] && [ "$lung" -lt 9000 ]; then
        pass tui_default_recipe_shows_the_lung_volume
    else
        fail tui_default_recipe_shows_the_lung_volume "implausible lung volume '$lung' mL"
    fi
else
    fail tui_default_recipe_shows_the_lung_volume "no lung volume after S"
fi

# The histogram marks the threshold and follows it when it is tuned.
keys H
if wait_for "threshold -320" 60; then
    keys S J ']' H
    if wait_for "threshold -310" 60; then
        keys S u
        wait_for "hu_max             -320" 60 && pass tui_histogram_threshold_follows_tuning_and_undo ||
            fail tui_histogram_threshold_follows_tuning_and_undo "undo did not restore -320"
    else
        fail tui_histogram_threshold_follows_tuning_and_undo "marker did not move to -310"
    fi
else
    fail tui_histogram_threshold_follows_tuning_and_undo "histogram panel without the -320 marker"
fi
wait_gone "(updating)"
wait_re "Lungs [0-9][0-9]* mL\$"
lung=$(screen | sed -n 's/.*Lungs \([0-9][0-9]*\) mL.*/\1/p' | head -1)

# ---------------------------------------------------------------- mesh, export
slice=$(screen | grep -o "Axial [0-9]*/133" | head -1)
keys M
if wait_for "surface:" && wait_re "[0-9][0-9]* triangles" 5; then
    pass tui_mesh_view_builds_the_surface
else
    fail tui_mesh_view_builds_the_surface "no surface message"
fi
keys e 1 Enter
stl="$TMP/LIDC-IDRI-0001-lungs.stl"
if wait_for "exported LIDC-IDRI-0001-lungs.stl" 120 && [ -s "$stl" ]; then
    admesh "$stl" >"$TMP/admesh.out" 2>&1
    vol=$(sed -n 's/.*Volume *: *\([0-9.]*\).*/\1/p' "$TMP/admesh.out")
    if grep -q "Number of facets" "$TMP/admesh.out" &&
       ! grep -q "Facets with 1 disconnected edge  : *[1-9]" "$TMP/admesh.out" &&
       $PY -c "import sys; v=float('$vol')/1000; l=float('${lung:-0}'); sys.exit(0 if abs(v-l) < 0.05*l else 1)"; then
        pass tui_exports_an_stl_that_admesh_accepts_with_the_lung_volume
    else
        fail tui_exports_an_stl_that_admesh_accepts_with_the_lung_volume "admesh volume '$vol' mm3 vs lungs '$lung' mL: $(head -c 600 "$TMP/admesh.out")"
    fi
else
    fail tui_exports_an_stl_that_admesh_accepts_with_the_lung_volume "no STL written"
fi
keys e 1 Enter
if wait_for "exists. Replace it?" 30; then
    keys n
    wait_for "not exported" 30 && pass tui_export_asks_before_replacing_a_file ||
        fail tui_export_asks_before_replacing_a_file "n did not keep the file"
else
    fail tui_export_asks_before_replacing_a_file "no confirmation for an existing file"
fi
keys e 4 Enter
if wait_for "exported LIDC-IDRI-0001-report.json" 60 &&
   $PY -c "import json,sys; d=json.load(open('$TMP/LIDC-IDRI-0001-report.json')); sys.exit(0 if round(d['lung_ml'])==int('${lung:-0}') and d['recipe']=='default' else 1)"; then
    pass tui_exports_the_json_report_with_the_shown_volume
else
    fail tui_exports_the_json_report_with_the_shown_volume "report missing or different"
fi

keys e 3 Enter
if wait_for "exported LIDC-IDRI-0001-lungs.nii.gz" 120 &&
   $PY - "$TMP/LIDC-IDRI-0001-lungs.nii.gz" "${lung:-0}" <<'EOF' >"$TMP/nifti.out" 2>&1
import sys
import nibabel as nib
import numpy as np
img = nib.load(sys.argv[1])
d = np.asarray(img.dataobj)
ml = np.isin(d, (1, 2)).sum() * abs(np.linalg.det(img.affine[:3, :3])) / 1000
assert d.shape == (512, 512, 133), d.shape
assert abs(ml - float(sys.argv[2])) < 0.01 * float(sys.argv[2]) + 1, (ml, sys.argv[2])
EOF
then
    pass tui_exports_the_nifti_mask_with_the_shown_volume
else
    fail tui_exports_the_nifti_mask_with_the_shown_volume "$(tail -3 "$TMP/nifti.out")"
fi
# The DICOM SEG export holds the same voxels as the NIfTI mask.
keys e 5 Enter
if wait_for "exported LIDC-IDRI-0001-seg.dcm" 120 &&
   "$PULMO" compare "$TMP/LIDC-IDRI-0001-seg.dcm" "$TMP/LIDC-IDRI-0001-lungs.nii.gz" >"$TMP/segcmp.out" 2>&1 &&
   grep -q '^1+2 *lungs *1.0000' "$TMP/segcmp.out"; then
    pass tui_exports_the_mask_as_a_dicom_seg
else
    fail tui_exports_the_mask_as_a_dicom_seg "$(tail -3 "$TMP/segcmp.out" 2>/dev/null)"
fi
keys e 2 Enter
if wait_for "exported LIDC-IDRI-0001-mesh.png" 60 &&
   [ "$(head -c 8 "$TMP/LIDC-IDRI-0001-mesh.png" | od -An -c | tr -d ' ')" = '211PNG\r\n032\n' ]; then
    pass tui_exports_a_png_of_the_view
else
    fail tui_exports_a_png_of_the_view "no PNG"
fi
# More smoothing, then back (T, t): the mesh view smooths on from the
# surface it kept and then reuses the one before, which must give the very
# triangles exported above. The panel's figures tell when a rebuild is in.
figures() { screen | grep -o -E "[0-9]+ vertices|volume [0-9.]+ mL|area [0-9]+ cm2" | tr '\n' ' '; }
wait_figures() { # wait_figures same|other FIGURES
    end=$(( $(date +%s) + 120 ))
    while [ "$(date +%s)" -le "$end" ]; do
        now=$(figures)
        if [ "$1" = same ]; then [ "$now" = "$2" ] && return 0; else [ -n "$now" ] && [ "$now" != "$2" ] && return 0; fi
        sleep 0.2
    done
    return 1
}
cp "$stl" "$TMP/first.stl" 2>/dev/null
fig0=$(figures)
keys T
if [ -n "$fig0" ] && wait_re "smoothing 15" 30 && wait_figures other "$fig0"; then
    keys t
    if wait_re "smoothing 10" 30 && wait_figures same "$fig0"; then
        keys e 1 Enter
        wait_for "exists. Replace it?" 30 && keys y
        if wait_for "exported LIDC-IDRI-0001-lungs.stl" 120 && cmp -s "$stl" "$TMP/first.stl"; then
            pass tui_smoothing_there_and_back_gives_the_same_surface
        else
            fail tui_smoothing_there_and_back_gives_the_same_surface "the STL after T, t differs from the first"
        fi
    else
        fail tui_smoothing_there_and_back_gives_the_same_surface "t did not bring back '$fig0': '$(figures)'"
    fi
else
    fail tui_smoothing_there_and_back_gives_the_same_surface "T did not change '$fig0'"
fi
# The triage sheet of `pulmo report`, drawn from what the UI measured: a
# 960x960 PNG (IHDR width and height).
keys e 6 Enter
if wait_for "exported LIDC-IDRI-0001-sheet.png" 120 &&
   $PY -c "import struct,sys; b=open('$TMP/LIDC-IDRI-0001-sheet.png','rb').read(24); sys.exit(0 if b[:8]==b'\x89PNG\r\n\x1a\n' and struct.unpack('>II', b[16:24])==(960, 960) else 1)"; then
    pass tui_exports_the_triage_sheet
else
    fail tui_exports_the_triage_sheet "no 960x960 sheet PNG"
fi

# Keys go to the screen on top only: the viewer under the mesh view does
# not see its slice keys.
keys j G End
keys q
if wait_for "Axial" 30 && [ -n "$slice" ] && screen | grep -qF "$slice"; then
    pass tui_mesh_view_keys_do_not_reach_the_viewer_under_it
else
    fail tui_mesh_view_keys_do_not_reach_the_viewer_under_it "slice moved from '$slice'"
fi

# ---------------------------------------------------------------- inside the lungs
# The cluster panel clusters the visible slice (the smallest cluster marked),
# follows K, shows the structures (label 5) on 'v', and "crop here" opens the
# mesh view of a cube around the cursor.
keys g
keys NPage NPage NPage NPage NPage NPage
keys C
if wait_for "Clusters of slice" 60 && wait_re "^.*\*[0-9] .* HU .*smallest" 120; then
    keys ']'
    if wait_for "K 5 clusters" 30 && wait_re "5 .* HU .* vox" 120; then
        pass tui_cluster_panel_clusters_the_slice_and_follows_k
    else
        fail tui_cluster_panel_clusters_the_slice_and_follows_k "no fifth cluster after ]"
    fi
else
    fail tui_cluster_panel_clusters_the_slice_and_follows_k "no clusters in the panel"
fi
keys v
if wait_for "structures shown" 30 && wait_re "structures inside the lungs: [0-9.]* mL" 120; then
    pass tui_structures_overlay_toggles_and_reports_its_volume
else
    fail tui_structures_overlay_toggles_and_reports_its_volume "no structures message after v"
fi
keys + + + + + + + +
if wait_for "crop radius 60 mm" 30; then
    keys x
    # The "crop: ..." message gives way to "surface: ..." as soon as the
    # small cube is meshed, so only the second is waited for.
    if wait_re "surface: [0-9]* triangles" 120; then
        pass tui_crop_here_meshes_the_cube_around_the_cursor
    else
        fail tui_crop_here_meshes_the_cube_around_the_cursor "no cropped surface"
    fi
    keys q
    wait_for "Inside the lungs" 30
else
    fail tui_crop_here_meshes_the_cube_around_the_cursor "+ did not change the radius"
fi
keys C

# ---------------------------------------------------------------- quit
# q closes the mesh view, then the panel, then the series; then quits.
n=0
while ! screen | grep -qF "/ filter" && [ $n -lt 6 ]; do keys q; sleep 0.5; n=$((n + 1)); done
if screen | grep -qF "/ filter"; then
    keys q
    if wait_for "PULMO EXITED" 60 && [ "$(exit_status)" = 0 ]; then
        pass tui_q_goes_back_then_quits_with_status_0
    else
        fail tui_q_goes_back_then_quits_with_status_0 "exit status '$(exit_status)'"
    fi
else
    fail tui_q_goes_back_then_quits_with_status_0 "q did not go back to the browser"
fi

# ---------------------------------------------------------------- cancel
start "'$DATA/patients'"
go
if wait_for "2 series"; then
    keys Enter Escape
    if wait_for "loading cancelled" 60 || wait_for "Axial 67/133" 5; then
        pass tui_escape_cancels_loading
    else
        fail tui_escape_cancels_loading "neither cancelled nor loaded"
    fi
    keys q q
else
    fail tui_escape_cancels_loading "scan did not finish"
fi

# ---------------------------------------------------------------- signals
# Killed in the middle of loading, pulmo leaves the terminal as it found it.
start "'$DATA/patients'"
go
if wait_for "2 series"; then
    keys Enter
    kill -TERM "$(cat "$TMP/pid")"
    if wait_for "PULMO EXITED" 60 && [ "$(exit_status)" = 143 ] &&
       grep -q ' icanon' "$TMP/stty" && grep -q ' echo ' "$TMP/stty"; then
        pass tui_restores_the_terminal_when_killed
    else
        fail tui_restores_the_terminal_when_killed "status '$(exit_status)', $(grep -o -- '-icanon\|-echo ' "$TMP/stty" | tr '\n' ' ')"
    fi
else
    fail tui_restores_the_terminal_when_killed "scan did not finish"
fi

# ---------------------------------------------------------------- untrusted text
# A copy of one LIDC slice whose PatientName holds terminal escapes (a title
# change, a screen clear, a colour): they must reach the screen as inert text.
mkdir -p "$TMP/evil/p"
$PY - "$DATA/patients/LIDC-IDRI-0001/000000.dcm" "$TMP/evil/p/x.dcm" <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read()
tag = b'\x10\x00\x10\x00PN'
i = d.index(tag, 132)
n = struct.unpack('<H', d[i + 6:i + 8])[0]
name = b'EVIL\x1b]0;PWNED\x07\x1b[2J\x1b[31mRED\x9b1m'
if len(name) % 2:
    name += b' '
open(sys.argv[2], 'wb').write(d[:i + 6] + struct.pack('<H', len(name)) + name + d[i + 8 + n:])
EOF
start "'$TMP/evil'"
$T pipe-pane -t $S -o "cat >'$TMP/raw'"
go
if wait_for "1 series" 60 && screen | grep -qF "EVIL]0;PWNED[2J[31mRED"; then
    if grep -q "PWNED$(printf '\007')" "$TMP/raw" || grep -q "$(printf '\033')\]0;PWNED" "$TMP/raw" ||
       grep -q "$(printf '\033')\[31mRED" "$TMP/raw"; then
        fail tui_never_sends_escapes_from_dicom_text "raw escape from PatientName reached the terminal"
    elif [ "$($T display -p -t $S '#{pane_title}')" = PWNED ]; then
        fail tui_never_sends_escapes_from_dicom_text "the pane title was changed"
    else
        pass tui_never_sends_escapes_from_dicom_text
    fi
else
    fail tui_never_sends_escapes_from_dicom_text "cleaned name not shown"
fi
keys q

# ---------------------------------------------------------------- sixel
# Sixel goes around curses, straight to the terminal after a refresh: one
# picture per change, none while idle, and it decodes (sixel2png).
PULMO_TERM=xterm-256color start "--graphics sixel '$DATA/patients'"
$T pipe-pane -t $S -o "cat >'$TMP/six.raw'"
go
# Pictures only: the cursor crosshair is a transparent patch (DCS 0;1 q).
count_dcs() { $PY -c "import sys; print(open(sys.argv[1],'rb').read().count(b'\x1bPq'))" "$TMP/six.raw"; }
if wait_for "2 series" && keys Enter && wait_for "Axial 67/133"; then
    sleep 1
    n1=$(count_dcs)
    keys j
    wait_for "Axial 68/133" 30
    sleep 1
    n2=$(count_dcs)
    sleep 1
    n3=$(count_dcs)
    $PY - "$TMP/six.raw" "$TMP/six1.six" <<'EOF'
import sys
d = open(sys.argv[1], 'rb').read()
i = d.rfind(b'\x1bPq')
open(sys.argv[2], 'wb').write(d[i:d.index(b'\x1b\\', i) + 2])
EOF
    if [ "$n1" -ge 1 ] && [ "$n2" -eq $((n1 + 1)) ] && [ "$n3" -eq "$n2" ] &&
       sixel2png -i "$TMP/six1.six" -o "$TMP/six1.png" 2>/dev/null && [ -s "$TMP/six1.png" ]; then
        pass tui_sixel_pictures_are_sent_once_per_change_and_decode
    else
        fail tui_sixel_pictures_are_sent_once_per_change_and_decode "pictures sent: $n1, after j $n2, idle $n3"
    fi
    keys q q
else
    fail tui_sixel_pictures_are_sent_once_per_change_and_decode "series did not open"
fi

# ---------------------------------------------------------------- ascii
start "--ascii '$DATA/patients'"
go
if wait_for "2 series"; then
    keys Enter
    if wait_for "Axial 67/133" && screen | sed -n '3,30p' | grep -q '[@#%]' &&
       ! screen | LC_ALL=C grep -q "$(printf '\342\226\200')"; then
        pass tui_ascii_mode_draws_with_ascii_only
    else
        fail tui_ascii_mode_draws_with_ascii_only "expected an ASCII ramp picture and no half blocks"
    fi
    # The head CT: its warnings are on screen, and segmenting it says that
    # there are no lungs instead of inventing some.
    keys q
    if wait_for "/ filter" 30; then
        keys G Enter
        if wait_for "warning: irregular_spacing" && wait_for "(more: press i)" 5; then
            keys i
            wait_for "gantry tilt of -18.5 degrees" 30 && keys Escape && wait_gone "Warnings of this series" 30 &&
                pass tui_shows_the_series_warnings ||
                fail tui_shows_the_series_warnings "i did not list the gantry tilt"
        else
            fail tui_shows_the_series_warnings "no gantry_tilt warning for the head CT"
        fi
        keys S
        wait_for "no lungs" && pass tui_segmenting_a_head_ct_reports_no_lungs ||
            fail tui_segmenting_a_head_ct_reports_no_lungs "no 'no lungs' message"
    else
        fail tui_shows_the_series_warnings "q did not return to the browser"
    fi
else
    fail tui_ascii_mode_draws_with_ascii_only "scan did not finish"
fi

# ---------------------------------------------------------------- one slice
# One LIDC slice alone, as a single-slice series arrives: the TUI segments it
# in 2-D like `pulmo segment` does and shows areas in cm2, never mL.
mkdir -p "$TMP/one/ONE"
ln -s "$DATA/patients/LIDC-IDRI-0001/000039.dcm" "$TMP/one/ONE/"
start "'$TMP/one'"
go
if wait_for "512x512x1" 120; then
    keys Enter
    wait_for "Axial 1/1" 60
    keys S
    if wait_re "slice 1: [0-9.]*  R [0-9.]*  L [0-9.]*" && wait_for "2-D: 1 slice, areas in cm2" 5 &&
       ! screen | grep -q "Lungs [0-9]* mL"; then
        area=$(screen | sed -n 's/.*slice 1: \([0-9]*\)\..*/\1/p' | head -1)
        cli=$("$PULMO" segment "$TMP/one/ONE" -o "$TMP/one-out" 2>/dev/null |
              sed -n 's/.*slice 1 of 1: \([0-9]*\)\..*/\1/p')
        if [ -n "$area" ] && [ "$area" = "$cli" ]; then
            pass tui_segments_a_single_slice_in_2d_with_areas
        else
            fail tui_segments_a_single_slice_in_2d_with_areas "TUI area '$area' cm2, CLI '$cli' cm2"
        fi
    else
        fail tui_segments_a_single_slice_in_2d_with_areas "no 2-D areas after S"
    fi
else
    fail tui_segments_a_single_slice_in_2d_with_areas "the one-slice series was not listed"
fi
exit 0
