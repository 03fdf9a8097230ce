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
SOCK="pulmo-test-$$"
T="tmux -L $SOCK -f /dev/null"
S=ui
# Generous: a sanitized build on 2 shared cores loads a series slowly.
LONG=${PULMO_TUI_TIMEOUT:-180}

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

pass() { echo "PASS $1"; }
fail() {
    echo "FAIL $1: $2"
    echo "---- screen:"
    screen | sed 's/^/    | /'
    [ -s "$TMP/stderr" ] && { echo "---- pulmo stderr:"; tail -20 "$TMP/stderr" | sed 's/^/    ! /'; }
    return 0
}

screen() { $T capture-pane -t $S -p 2>/dev/null; }

# wait_for TEXT [SECONDS]: polls the screen until TEXT (fixed string) shows.
wait_for() {
    end=$(( $(date +%s) + ${2:-$LONG} ))
    while [ "$(date +%s)" -le "$end" ]; do
        screen | grep -qF -- "$1" && return 0
        sleep 0.2
    done
    return 1
}
# wait_gone TEXT [SECONDS]
wait_gone() {
    end=$(( $(date +%s) + ${2:-$LONG} ))
    while [ "$(date +%s)" -le "$end" ]; do
        screen | grep -qF -- "$1" || return 0
        sleep 0.2
    done
    return 1
}
keys() { $T send-keys -t $S "$@"; }

# start ARGS...: runs pulmo in a 120x40 session once $TMP/go exists (so a
# pipe-pane can be attached first); its exit status lands in $TMP/exit.
start() {
    rm -f "$TMP/exit" "$TMP/go"
    $T kill-session -t $S 2>/dev/null
    cat >"$TMP/run.sh" <<EOF
while [ ! -e "$TMP/go" ]; do sleep 0.1; done
cd "$TMP"
env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=\${PULMO_TERM:-tmux-256color} PULMO_STDERR="$TMP/stderr" "$PULMO" $*
echo \$? >"$TMP/exit"
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
if wait_for "W 350 L 50 mediastinum" 30; then
    keys W
    wait_for "W 370 L 50" 30 && pass tui_changes_window_presets_and_width ||
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
$T resize-window -t $S -x 80 -y 24 2>/dev/null || $T resize-pane -t $S -x 80 -y 24
if wait_for "Axial" 30 && [ "$(screen | wc -l)" -le 24 ] &&
   [ "$(screen | PYTHONIOENCODING=utf-8 python3 -c 'import sys; print(max(len(l.rstrip("\n")) for l in sys.stdin))')" -le 80 ] &&
   screen | tail -1 | grep -qF "q back"; then
    pass tui_redraws_at_80x24_after_resize
else
    fail tui_redraws_at_80x24_after_resize "screen not redrawn for 80x24"
fi
$T resize-window -t $S -x 120 -y 40 2>/dev/null || $T resize-pane -t $S -x 120 -y 40

keys m
if wait_for "Axial" 30; then pass tui_shows_a_montage; else fail tui_shows_a_montage "montage key broke the screen"; fi
keys m

# ---------------------------------------------------------------- quit
keys q
if wait_for "/ filter" 30; then
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

# ---------------------------------------------------------------- untrusted text
# A copy of one LIDC slice whose PatientName holds terminal escapes (a title
# change, a screen clear, a colour): they must reach the screen as inert text.
mkdir -p "$TMP/evil/p"
python3 - "$DATA/patients/LIDC-IDRI-0001/000000.dcm" "$TMP/evil/p/x.dcm" <<'EOF'
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
    keys q q
else
    fail tui_ascii_mode_draws_with_ascii_only "scan did not finish"
fi
exit 0
