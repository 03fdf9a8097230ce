#!/bin/sh
# bench_phantom.sh - `pulmo phantom --all` (the `make samples` work): wall
# seconds, median of 3, and peak RSS.
T=${TMPDIR:-/tmp}/pulmo-bench-phantom.$$
times=""
for i in 1 2 3; do
    rm -rf "$T"
    mkdir -p "$T"
    /usr/bin/time -o "$T.time" -f '%e %M' ./pulmo phantom --all "$T/patients" 2>/dev/null
    t=$(tail -1 "$T.time")
    times="$times ${t% *}"
    rss=${t#* }
done
rm -rf "$T" "$T.time"
med=$(echo $times | tr ' ' '\n' | sort -g | sed -n 2p)
echo "phantom --all (5 patients, $(./pulmo phantom --list | awk '{split($2,d,"x"); n+=d[1]*d[2]*d[3]} END{printf "%.1f", n/1e6}') M voxels):" \
     "median ${med} s over 3 runs, peak RSS $((rss / 1024)) MB"
