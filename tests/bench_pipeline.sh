#!/bin/sh
# bench_pipeline.sh - the end-to-end figure of issue 16, side by side in one
# run: `pulmo segment --resample 1` then `pulmo mesh SERIES --smooth 10
# --decimate 0.1` on LIDC-IDRI-0001, against the classic Python pipeline
# (../shared/bench/seed_pipeline.py --mc: load, HU, 1 mm resample, tutorial
# mask, marching cubes) run by Debian's /usr/bin/python3 when
# python3-pydicom, python3-scipy and python3-skimage are installed.
# Also the same work in one pulmo process, as the Python pipeline does it:
# `pulmo segment --resample 1 --mesh lungs.stl --smooth 10 --decimate 0.1`
# (the second command above loads and segments the series again).
# Medians of 3 whole processes: wall and CPU seconds, peak RSS (/usr/bin/time),
# each side's runs taken in turn with the other's.
# The machine is shared: the load average is printed, and CPU seconds are
# the steadier figure when it is busy.
data=${PM_DATA:-../shared/data}
series=$data/patients/LIDC-IDRI-0001
seed=${PM_SEED:-$data/../bench/seed_pipeline.py}
out=${TMPDIR:-/tmp}/pulmo-bench-pipeline.$$
mkdir -p "$out"
trap 'rm -rf "$out"' EXIT INT TERM
median() { sort -g | sed -n 2p; }
# run LABEL CMD...: one whole process; appends "wall cpu rssKB" to $out/LABEL
run() {
    label=$1; shift
    /usr/bin/time -a -o "$out/$label.time" -f '%e %U %S %M' "$@" >"$out/$label.stdout" 2>"$out/$label.err"
    tail -1 "$out/$label.time" | awk '{print $1, $2 + $3, $4}' >>"$out/$label"
}
# The Python pipeline runs in the same rounds as pulmo, one run of each in
# turn, so that a machine that slows down or speeds up during the benchmark
# (a shared host) weighs on both sides alike.
py=1
if ! [ -f "$seed" ]; then
    py="classic Python pipeline: $seed missing, not run"
elif ! /usr/bin/python3 -c 'import pydicom, scipy.ndimage, skimage.measure' 2>/dev/null; then
    py="classic Python pipeline: needs python3-pydicom python3-scipy python3-skimage, not run"
fi
for i in 1 2 3; do
    [ "$py" = 1 ] && run py /usr/bin/python3 "$seed" "$series" --mc
    run seg ./pulmo segment "$series" -o "$out/segout" --resample 1
    run mesh ./pulmo mesh "$series" -o "$out/lungs.stl" --smooth 10 --decimate 0.1 --json
    # pulmo's figure is the two processes together
    tail -1 "$out/seg" >"$out/pair"
    tail -1 "$out/mesh" >>"$out/pair"
    awk '{w += $1; c += $2; if ($3 > m) m = $3} END {print w, c, m}' "$out/pair" >>"$out/pulmo"
    run one ./pulmo segment "$series" -o "$out/oneout" --resample 1 --mesh "$out/one.stl" --smooth 10 \
        --decimate 0.1 --json
done
ow=$(awk '{print $1}' "$out/one" | median)
oc=$(awk '{print $2}' "$out/one" | median)
om=$(awk '{print $3}' "$out/one" | sort -g | tail -1)
otri=$(sed -n 's/.*"mesh_triangles": *\([0-9]*\).*/\1/p' "$out/one.stdout" | head -1)
pw=$(awk '{print $1}' "$out/pulmo" | median)
pc=$(awk '{print $2}' "$out/pulmo" | median)
pm=$(awk '{print $3}' "$out/pulmo" | sort -g | tail -1)
ml=$(sed -n 's/.*"lung_ml": *\([0-9.]*\).*/\1/p; s/.*"lungs_ml": *\([0-9.]*\).*/\1/p' "$out/segout/report.json" | head -1)
tri=$(sed -n 's/.*"triangles": *\([0-9]*\).*/\1/p' "$out/mesh.stdout" | head -1)
echo "pulmo segment --resample 1 + pulmo mesh --smooth 10 --decimate 0.1: median ${pw} s wall, ${pc} s CPU," \
     "peak RSS $((pm / 1024)) MB (lungs ${ml:-?} mL, ${tri:-?} triangles)"
echo "   segment runs (wall CPU KB): $(tr '\n' ';' <"$out/seg")"
echo "   mesh runs (wall CPU KB):    $(tr '\n' ';' <"$out/mesh")"
echo "pulmo segment --resample 1 --mesh --smooth 10 --decimate 0.1 (one process): median ${ow} s wall," \
     "${oc} s CPU, peak RSS $((om / 1024)) MB (${otri:-?} triangles)"
echo "   runs (wall CPU KB): $(tr '\n' ';' <"$out/one")"
echo "   load average: $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$py" != 1 ]; then
    echo "$py"
    exit 0
fi
yw=$(awk '{print $1}' "$out/py" | median)
yc=$(awk '{print $2}' "$out/py" | median)
ym=$(awk '{print $3}' "$out/py" | sort -g | tail -1)
yml=$(sed -n 's/.*"lung_ml": *\([0-9.]*\).*/\1/p' "$out/py.stdout" | head -1)
echo "classic Python pipeline (seed_pipeline.py --mc): median ${yw} s wall, ${yc} s CPU," \
     "peak RSS $((ym / 1024)) MB (lungs ${yml:-?} mL)"
echo "   stage seconds, last run: $(sed -n 's/.*"times": *\({[^}]*}\).*/\1/p' "$out/py.stdout")"
echo "   load average: $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v pw="$pw" -v pc="$pc" -v pm="$pm" -v yw="$yw" -v yc="$yc" -v ym="$ym" -v ow="$ow" -v oc="$oc" -v om="$om" 'BEGIN {
    printf "pulmo is %.1fx faster (wall), %.1fx (CPU), and uses %.2f of the memory (targets: 20x, at most 0.25)\n",
           yw / pw, yc / pc, pm / ym
    printf "in one process: %.1fx faster (wall), %.1fx (CPU), %.2f of the memory\n", yw / ow, yc / oc, om / ym }'
