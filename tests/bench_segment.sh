#!/bin/sh
# bench_segment.sh - `pulmo segment` on LIDC-IDRI-0001 resampled to 1 mm (load,
# resample, recipe, NIfTI, report), for the default and tutorial recipes:
# wall seconds (median of 5), CPU seconds (user + sys, median), peak RSS.
# The seeds' Python pipeline takes 17.9 s and 1.4 GB for this work; the target
# is 1.5 s and 400 MB. On a shared machine compare CPU seconds: wall time
# then measures the other jobs too.
data=${PM_DATA:-../shared/data}/patients/LIDC-IDRI-0001
out=${TMPDIR:-/tmp}/pulmo-bench-seg.$$
median() { sort -g | sed -n 3p; }
for recipe in default tutorial; do
    runs=""
    for i in 1 2 3 4 5; do
        r=$( { /usr/bin/time -f '%e %U %S %M' ./pulmo segment "$data" -o "$out/$recipe" \
                 --recipe $recipe --resample 1 >/dev/null; } 2>&1 | tail -1)
        runs="$runs$r
"
    done
    wall=$(printf '%s' "$runs" | awk '{print $1}' | median)
    cpu=$(printf '%s' "$runs" | awk '{print $2 + $3}' | median)
    rss=$(printf '%s' "$runs" | awk '{ if ($4 > m) m = $4 } END { print m }')
    steps=$(sed -n '/"seconds"/,/}/p' "$out/$recipe/report.json" | tr -d ' \n' | sed 's/"seconds"://; s/,$//')
    echo "segment --recipe $recipe --resample 1: median ${wall} s wall, ${cpu} s CPU over 5 runs," \
         "peak RSS $((rss / 1024)) MB (target 1.5 s, 400 MB; Python 17.9 s, 1.4 GB)"
    echo "   last run, seconds: $steps"
    echo "   load average: $(cut -d' ' -f1-3 /proc/loadavg)"
done
rm -rf "$out"
# Connected components on one core: the tutorial's "corner" step labels every
# air voxel of the whole 1 mm volume (26-connectivity) and repaints one
# component; "largest" labels the air inside the body again.
out=${TMPDIR:-/tmp}/pulmo-bench-cc.$$
best=""
for i in 1 2 3; do
    PULMO_THREADS=1 ./pulmo segment "$data" -o "$out" --recipe tutorial --resample 1 >/dev/null 2>&1
    t=$(sed -n 's/.*"corner": *\([0-9.e-]*\).*/\1/p' "$out/report.json")
    best=$(printf '%s\n%s\n' "$best" "$t" | sed '/^$/d' | sort -g | head -1)
done
vox=$(sed -n '/"dims"/,/]/p' "$out/report.json" | tr -d ' \n' | sed 's/.*\[\([0-9]*\),\([0-9]*\),\([0-9]*\)\].*/\1 \2 \3/' |
      awk '{print $1 * $2 * $3}')
echo "connected components (26-conn, one core, whole volume): best of 3 $best s for $vox voxels," \
     "$(awk -v v="$vox" -v t="$best" 'BEGIN{printf "%.0f", v / t / 1e6}') M voxels/s (target 100)"
rm -rf "$out"
