#!/bin/sh
# test_pacs.sh - pulmo against a real PACS: Orthanc (Debian package orthanc)
# on 127.0.0.1 with its own configuration, storage, ports and AE titles in a
# temporary folder (nothing in /etc), stopped by its pid on any exit.
#
# Loads ../shared/data/patients and one phantom into it with pulmo's own
# C-STORE, then checks C-ECHO, the rejected AE title, the study list against
# the folder scan, retrieval by C-GET and by C-MOVE, the lung volume of a
# retrieved series against the same folder, the resumable remote batch, a
# cancelled retrieval, and a stopped node. Prints SKIP when Orthanc is not
# installed or cannot start.
PULMO=${PULMO:-./pulmo}
case "$PULMO" in /*) ;; *) PULMO=$(pwd)/$PULMO ;; esac
DATA=${PM_DATA:-../shared/data}
NET_CANCEL=${NET_CANCEL:-$(dirname "$PULMO")/tests/net_cancel}

skip() { echo "SKIP pacs: $*"; exit 0; }
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }
failed=0

ORTHANC=$(command -v Orthanc || echo /usr/sbin/Orthanc)
[ -x "$ORTHANC" ] || skip "Orthanc is not installed (Debian package orthanc; make deps)"
command -v python3 >/dev/null 2>&1 || skip "python3 missing"
[ -d "$DATA/patients/LIDC-IDRI-0001" ] || skip "$DATA/patients not found"
[ -d samples/patients/PHANTOM-01 ] || skip "samples/patients/PHANTOM-01 missing (make samples)"

D=$(mktemp -d "${TMPDIR:-/tmp}/pulmo-pacs.XXXXXX") || { echo "FAIL pacs: mktemp"; exit 1; }
stop_orthanc() {
    if [ -s "$D/orthanc.pid" ]; then
        pid=$(cat "$D/orthanc.pid")
        kill "$pid" 2>/dev/null
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        kill -9 "$pid" 2>/dev/null
        rm -f "$D/orthanc.pid"
    fi
}
cleanup() { stop_orthanc; rm -rf "$D"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# Three free loopback ports: DICOM, HTTP (REST, for checks), pulmo's C-MOVE.
set -- $(python3 -c '
import socket
ss = [socket.socket() for _ in range(3)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
DPORT=$1 HPORT=$2 MPORT=$3
AET=PULMOTEST
NODE="dicom://$AET@127.0.0.1:$DPORT"
cat >"$D/orthanc.json" <<EOF
{
  "Name": "pulmo-test",
  "StorageDirectory": "$D/storage",
  "IndexDirectory": "$D/index",
  "Plugins": [],
  "HttpServerEnabled": true,
  "HttpPort": $HPORT,
  "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false,
  "DicomServerEnabled": true,
  "DicomAet": "$AET",
  "DicomPort": $DPORT,
  "DicomCheckCalledAet": true,
  "DicomCheckModalityHost": false,
  "DicomAlwaysAllowEcho": true,
  "DicomAlwaysAllowStore": true,
  "DicomModalities": { "pulmo": { "AET": "PULMO", "Host": "127.0.0.1", "Port": $MPORT } },
  "StorageCompression": false,
  "SaveJobs": false,
  "ConcurrentJobs": 1
}
EOF
"$ORTHANC" "$D/orthanc.json" >"$D/orthanc.log" 2>&1 &
echo $! >"$D/orthanc.pid"

# Up to 30 s for Orthanc to answer (it creates its database first).
up=0 i=0
while [ $i -lt 60 ]; do
    if "$PULMO" echo "$NODE" --timeout 5 >"$D/echo.out" 2>&1; then up=1; break; fi
    kill -0 "$(cat "$D/orthanc.pid")" 2>/dev/null || break
    sleep 0.5; i=$((i + 1))
done
[ $up = 1 ] || skip "Orthanc did not start: $(tail -n 3 "$D/orthanc.log" | tr '\n' ' ')"
grep -q "answered C-ECHO" "$D/echo.out" && pass echo_answers || fail echo_answers "$(cat "$D/echo.out")"

# An AE title the node does not know: refused (8), naming the node and why.
"$PULMO" echo "dicom://NOSUCHAE@127.0.0.1:$DPORT" >/dev/null 2>"$D/err"; rc=$?
if [ $rc = 8 ] && grep -q "NOSUCHAE@127.0.0.1:$DPORT" "$D/err" && grep -qi "called AE title not recognized" "$D/err"; then
    pass unknown_called_aet_is_refused_with_exit_8
else
    fail unknown_called_aet_is_refused_with_exit_8 "exit $rc: $(cat "$D/err")"
fi

# Load through pulmo's own C-STORE.
out=$("$PULMO" send "$DATA/patients" "$NODE" 2>&1); rc=$?
out2=$("$PULMO" send samples/patients/PHANTOM-01 "$NODE" 2>&1); rc2=$?
nlocal=$("$PULMO" scan --json "$DATA/patients" | python3 -c 'import json,sys; print(sum(s["files"] for s in json.load(sys.stdin)["series"]))')
if [ $rc = 0 ] && [ $rc2 = 0 ] && echo "$out" | grep -q "^$nlocal file(s) sent" && echo "$out2" | grep -q "^120 file(s) sent"; then
    pass send_stores_every_file
else
    fail send_stores_every_file "exit $rc/$rc2: $out / $out2"
fi

# The node's CT series list is the folder scan's (same patients, dates,
# series, slice counts).
"$PULMO" scan --json "$DATA/patients" >"$D/local1.json" && "$PULMO" scan --json samples/patients/PHANTOM-01 >"$D/local2.json"
"$PULMO" scan --json "$NODE" >"$D/remote.json"; rc=$?
cmp=$(python3 - "$D/local1.json" "$D/local2.json" "$D/remote.json" <<'EOF'
import json, sys
key = lambda s: (s["patient_id"], s["study_date"], s["series_uid"], s["modality"], s["files"])
local = sorted(key(s) for f in sys.argv[1:3] for s in json.load(open(f))["series"] if s["modality"] in ("CT", ""))
remote = sorted(key(s) for s in json.load(open(sys.argv[3]))["series"])
print("same" if local == remote and local else "local %s\nremote %s" % (local, remote))
EOF
)
[ $rc = 0 ] && [ "$cmp" = same ] && pass node_series_list_equals_folder_scan || fail node_series_list_equals_folder_scan "exit $rc: $cmp"
"$PULMO" scan "$NODE" >"$D/table" 2>&1
grep -q "^PHANTOM-01 .*CT *120 .*$NODE/" "$D/table" && pass node_scan_table_lists_series_addresses \
    || fail node_scan_table_lists_series_addresses "$(cat "$D/table")"

# A series retrieved with C-GET gives the same lungs as the folder.
export PULMO_CACHE="$D/cache"
uid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["series"][0]["series_uid"])' "$D/local2.json")
ml() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["lung_ml"])' "$1" 2>/dev/null; }
"$PULMO" segment samples/patients/PHANTOM-01 -o "$D/seg-local" >/dev/null 2>&1
"$PULMO" segment "$NODE/$uid" -o "$D/seg-remote" >/dev/null 2>"$D/err"; rc=$?
a=$(ml "$D/seg-local/report.json"); b=$(ml "$D/seg-remote/report.json")
if [ $rc = 0 ] && [ -n "$a" ] && [ "$a" = "$b" ] && [ -f "$D/cache/$uid/.complete" ]; then
    pass retrieved_series_gives_the_folders_lung_ml
else
    fail retrieved_series_gives_the_folders_lung_ml "exit $rc, folder '$a' mL, node '$b' mL: $(cat "$D/err")"
fi

# C-MOVE to pulmo's own storage SCP (Orthanc knows PULMO at that port).
head_uid=$(python3 -c 'import json,sys; print([s["series_uid"] for s in json.load(open(sys.argv[1]))["series"] if s["files"] == 28][0])' "$D/local1.json")
PULMO_CACHE="$D/cache-move" "$PULMO" segment "$NODE/$head_uid" --port "$MPORT" -o "$D/seg-move" >/dev/null 2>"$D/err"; rc=$?
n=$(ls "$D/cache-move/$head_uid" 2>/dev/null | wc -l)
# The head CT has no lungs (exit 6) but must arrive whole.
if [ $rc = 6 ] && [ "$n" = 28 ] && [ -f "$D/cache-move/$head_uid/.complete" ]; then
    pass cmove_retrieves_the_whole_series
else
    fail cmove_retrieves_the_whole_series "exit $rc, $n files: $(cat "$D/err")"
fi

# Cancel in the middle of a retrieval: nothing left that a later open uses.
if [ -x "$NET_CANCEL" ]; then
    "$NET_CANCEL" "$NODE/$uid" "$D/cache-cancel"
else
    echo "SKIP net_cancel: $NET_CANCEL not built (make test and make valgrind build it)"
fi

# A series the node does not have: exit 2, naming the node.
"$PULMO" segment "$NODE/1.2.3.4.5.6.7" -o "$D/seg-none" >/dev/null 2>"$D/err"; rc=$?
[ $rc = 2 ] && grep -q "$AET@127.0.0.1:$DPORT" "$D/err" && pass missing_series_exits_2 \
    || fail missing_series_exits_2 "exit $rc: $(cat "$D/err")"

# The remote batch: studies of January 2026 (the phantom only), then again:
# resumed, nothing retrieved or recomputed.
"$PULMO" batch "$NODE" --study-date 20260101-20260131 -o "$D/batch" >"$D/b1" 2>&1; rc=$?
row=$(python3 - "$D/batch/summary.csv" <<'EOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print(" ".join("%s:%s:%s:%s" % (r["series"], r["status"], r["lung_ml"], r["skipped"]) for r in rows))
EOF
)
a2=$(python3 -c "print('%.2f' % float('$a'))" 2>/dev/null)
[ $rc = 0 ] && [ "$row" = "$uid:ok:$a2:0" ] && pass batch_over_node_segments_the_date_range \
    || fail batch_over_node_segments_the_date_range "exit $rc, rows '$row' (folder $a2 mL): $(cat "$D/b1")"
"$PULMO" batch "$NODE" --study-date 20260101-20260131 -o "$D/batch" >"$D/b2" 2>&1; rc=$?
grep -q "1 skipped" "$D/b2" && [ $rc = 0 ] && pass batch_over_node_resumes \
    || fail batch_over_node_resumes "exit $rc: $(cat "$D/b2")"

# --push: a SEG and a Secondary Capture land in the phantom's study, and
# both pass dciodvfy (dicom3tools) without errors.
"$PULMO" segment "$NODE/$uid" -o "$D/seg-push" --push >/dev/null 2>"$D/err"; rc=$?
mods=$(python3 - "$HPORT" "$uid" <<'EOF'
import json, sys, urllib.request
base = "http://127.0.0.1:%s" % sys.argv[1]
get = lambda p: json.load(urllib.request.urlopen(base + p, timeout=10))
for st in get("/studies"):
    series = [get("/series/" + s)["MainDicomTags"] for s in get("/studies/" + st)["Series"]]
    if any(t.get("SeriesInstanceUID") == sys.argv[2] for t in series):
        print(" ".join(sorted(t.get("Modality", "") for t in series)))
EOF
)
[ $rc = 0 ] && [ "$mods" = "CT OT SEG" ] && pass push_puts_seg_and_sheet_into_the_study \
    || fail push_puts_seg_and_sheet_into_the_study "exit $rc, study modalities '$mods': $(cat "$D/err")"
if command -v dciodvfy >/dev/null 2>&1; then
    for f in seg sheet; do
        dciodvfy "$D/seg-push/$f.dcm" >"$D/vfy" 2>&1
        if [ -s "$D/seg-push/$f.dcm" ] && ! grep -q "^Error" "$D/vfy"; then
            pass "${f}_passes_dciodvfy"
        else
            fail "${f}_passes_dciodvfy" "$(grep "^Error" "$D/vfy" | head -5 | tr '\n' ' ')"
        fi
    done
else
    echo "SKIP dciodvfy: dicom3tools is not installed"
fi

# The browser on the node: its series listed; Enter retrieves and opens one.
if command -v tmux >/dev/null 2>&1; then
    T="tmux -L pulmo-pacs-$$ -f /dev/null"
    $T new-session -d -x 120 -y 36 "env TERM=tmux-256color PULMO_CACHE='$D/cache-tui' PULMO_STDERR='$D/tui.err' '$PULMO' '$NODE' --ascii" 2>/dev/null
    seen=0 i=0
    while [ $i -lt 60 ]; do
        $T capture-pane -p >"$D/pane" 2>/dev/null
        grep -q "PHANTOM-01" "$D/pane" && { seen=1; break; }
        sleep 0.5; i=$((i + 1))
    done
    # Rows: LIDC patient, its series, PHANTOM-01 patient, its series.
    $T send-keys Down Down Down Enter 2>/dev/null
    opened=0 i=0
    while [ $seen = 1 ] && [ $i -lt 120 ]; do
        $T capture-pane -p >"$D/pane2" 2>/dev/null
        grep -q "loaded 256x256x120" "$D/pane2" && { opened=1; break; }
        sleep 0.5; i=$((i + 1))
    done
    $T kill-server 2>/dev/null
    [ $seen = 1 ] && [ $opened = 1 ] && [ -f "$D/cache-tui/$uid/.complete" ] && pass tui_browses_and_opens_a_node_series \
        || fail tui_browses_and_opens_a_node_series "listed $seen, opened $opened: $(tr -s ' ' <"$D/pane2" | tail -n 3 | tr '\n' ' ')"
else
    echo "SKIP tui_on_node: tmux missing"
fi

# A stopped node: exit 7; a complete series in the cache still opens.
stop_orthanc
"$PULMO" echo "$NODE" --timeout 5 >/dev/null 2>"$D/err"; rc=$?
[ $rc = 7 ] && grep -q "$AET@127.0.0.1:$DPORT" "$D/err" && pass stopped_node_exits_7 \
    || fail stopped_node_exits_7 "exit $rc: $(cat "$D/err")"
"$PULMO" segment "$NODE/$uid" -o "$D/seg-cached" >/dev/null 2>"$D/err"; rc=$?
[ $rc = 0 ] && [ "$(ml "$D/seg-cached/report.json")" = "$a" ] && pass cached_series_is_reused \
    || fail cached_series_is_reused "exit $rc: $(cat "$D/err")"

exit $failed
