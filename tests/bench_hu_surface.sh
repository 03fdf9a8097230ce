#!/bin/sh
# bench_hu_surface.sh - the whole-body HU surface the TUI's M builds without a
# segmentation: `pulmo mesh SERIES --level -320 --triangles 100000` on
# LIDC-IDRI-0001 (about 2.5 M triangles before decimation). Medians of 3 runs,
# wall and CPU (user + sys) seconds, the decimation's own seconds, peak RSS.
# Target (issue 16): the TUI's HU-level surface within 1.5 s.
data=${PM_DATA:-../shared/data}/patients/LIDC-IDRI-0001
out=${TMPDIR:-/tmp}/pulmo-bench-hu.$$
mkdir -p "$out" || exit 1
median() { sort -g | sed -n 2p; }
runs=""
for i in 1 2 3; do
    r=$( { /usr/bin/time -f '%e %U %S %M' ./pulmo mesh "$data" --level -320 --triangles 100000 \
             -o "$out/body.stl" --json >"$out/json"; } 2>&1 | tail -1)
    dec=$(sed -n 's/.*"decimate_seconds": *\([0-9.e-]*\).*/\1/p' "$out/json")
    tri=$(sed -n 's/.*"surface_triangles": *\([0-9]*\).*/\1/p' "$out/json")
    runs="$runs$r $dec
"
done
wall=$(printf '%s' "$runs" | awk '{print $1}' | median)
cpu=$(printf '%s' "$runs" | awk '{print $2 + $3}' | median)
dec=$(printf '%s' "$runs" | awk '{print $5}' | median)
rss=$(printf '%s' "$runs" | awk '{ if ($4 > m) m = $4 } END { print m }')
echo "mesh --level -320 --triangles 100000 ($tri triangles before): median ${wall} s wall, ${cpu} s CPU," \
     "decimation ${dec} s, peak RSS $((rss / 1024)) MB over 3 runs"
echo "   load average: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$out"
