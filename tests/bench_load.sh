#!/bin/sh
# bench_load.sh - LIDC-IDRI-0001: load seconds (median of 5), slices/s, peak RSS.
data=${PM_DATA:-../shared/data}/patients/LIDC-IDRI-0001
times=""
for i in 1 2 3 4 5; do
    t=$(./pulmo info "$data" --json 2>/dev/null | sed -n 's/.*"load_seconds": *\([0-9.e-]*\).*/\1/p')
    times="$times $t"
done
med=$(echo $times | tr ' ' '\n' | sort -g | sed -n 3p)
rss=$( { /usr/bin/time -f '%M' ./pulmo info "$data" >/dev/null; } 2>&1 | tail -1)
echo "load LIDC-IDRI-0001 (133 slices): median ${med} s over 5 runs" \
     "($(awk -v t="$med" 'BEGIN{printf "%.0f", 133/t}') slices/s), peak RSS $((rss / 1024)) MB"
