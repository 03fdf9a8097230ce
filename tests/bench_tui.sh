#!/bin/sh
# bench_tui.sh - the terminal UI's interactive latencies on LIDC-IDRI-0001,
# driven in tmux like a user: the slice preview after a parameter change
# (the panel's own "preview N ms"), the full re-run ("run N s") and the time
# to build the mesh view's surface. Medians of 3 changes per parameter.
PULMO="$(pwd)/pulmo"
DATA=${PM_DATA:-../shared/data}
case "$DATA" in /*) ;; *) DATA="$(pwd)/$DATA" ;; esac
command -v tmux >/dev/null || { echo "tmux missing"; exit 1; }
T="tmux -L pulmo-bench-$$ -f /dev/null"
S=b
trap '$T kill-server 2>/dev/null' EXIT INT TERM
screen() { $T capture-pane -t $S -p; }
wait_re() {
    end=$(( $(date +%s) + ${2:-300} ))
    while [ "$(date +%s)" -le "$end" ]; do
        screen | grep -q -- "$1" && return 0
        sleep 0.1
    done
    return 1
}
wait_gone() {
    end=$(( $(date +%s) + ${2:-300} ))
    while [ "$(date +%s)" -le "$end" ]; do
        screen | grep -q -- "$1" || return 0
        sleep 0.1
    done
    return 1
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

$T new-session -d -s $S -x 120 -y 40 "cd /tmp; env LANG=C.UTF-8 TERM=tmux-256color $PULMO '$DATA/patients'; sleep 600"
wait_re "2 series" 60 || { echo "scan did not finish"; exit 1; }
$T send-keys -t $S Enter
wait_re "Axial 67/133" 120 || { echo "load did not finish"; exit 1; }
t0=$(date +%s.%N)
$T send-keys -t $S S
wait_re "Lungs [0-9]* mL$" 300 || { echo "segmentation did not finish"; exit 1; }
first=$(screen | sed -n 's/.*run \([0-9.]*\) s.*/\1/p' | head -1)
echo "default recipe, whole volume: ${first} s (first run)"

# bench PARAM_INDEX NAME: select the parameter, then -coarse, +coarse, -coarse, +coarse
# (the middle slice stays in view).
bench() {
    i=0
    while [ $i -lt 30 ]; do $T send-keys -t $S K; i=$((i + 1)); done
    i=0
    while [ $i -lt "$1" ]; do $T send-keys -t $S J; i=$((i + 1)); done
    pv=""; rr=""
    # down, up, down, up: the parameter ends at its default, so the mesh
    # view below shows the default segmentation's surface (it once showed
    # three parameters' worth of changes: 832k triangles, not 720k)
    for k in '{' '}' '{' '}'; do
        $T send-keys -t $S "$k"
        sleep 0.3
        wait_gone "(updating)" 300
        p=$(screen | sed -n 's/.*preview \([0-9]*\) ms.*/\1/p' | head -1)
        r=$(screen | sed -n 's/.*run \([0-9.]*\) s.*/\1/p' | head -1)
        pv="$pv $p"; rr="$rr $r"
    done
    echo "$2: slice preview median $(echo $pv | median) ms ($pv ), volume re-run median $(echo $rr | median) s"
}
# The panel lists the parameters in this order.
index_of() {
    "$PULMO" segment --list-recipes | sed -n '/^default/,$p' | grep -E '^ +[a-z_]+\.[a-z_0-9]+=' |
        grep -n " $1=" | head -1 | awk -F: '{print $1 - 1}'
}
for p in threshold.hu_max close.radius_mm fill.mode; do
    bench "$(index_of $p)" "$p"
done

$T send-keys -t $S M
wait_re "surface:" 600 && echo "mesh view: $(screen | sed -n 's/.*surface: \([^ ]* triangles, [^ ]* mL, in [0-9.]* s\).*/\1/p' | head -1)," \
    "frame $(screen | sed -n 's/.*frame \([0-9]*\) ms.*/\1/p' | head -1) ms"

# Rebuilds in the mesh view (the raw surface is kept): fewer / more
# triangles (x, X: decimation only), less / more smoothing (t, T). The
# figure is the job's own time, key to surface; the loop notices a finished
# job at its next wake-up (a key or its 100 ms timeout) on top of that.
surface() { screen | sed -n 's/.*surface: \([^ ]* triangles, [^ ]* mL, in [0-9.]* s\).*/\1/p' | head -1; }
for k in x X t T x X t T; do
    before=$(surface)
    $T send-keys -t $S "$k"
    end=$(( $(date +%s) + 120 ))
    now=$before
    while { [ -z "$now" ] || [ "$now" = "$before" ]; } && [ "$(date +%s)" -le "$end" ]; do
        sleep 0.05
        now=$(surface)
    done
    echo "mesh rebuild after $k: $now"
done
