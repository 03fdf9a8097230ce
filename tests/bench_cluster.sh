#!/bin/sh
# bench_cluster.sh - Gustafson-Kessel clustering of the HU inside the lungs of
# LIDC-IDRI-0001 at K=4 (m 2, at most 100 iterations, 1e-6): 4 slices (target
# 0.5 s) and the whole volume, median of 5 of the "cluster" seconds of
# clusters.json (histogram, clustering, memberships; the mask comes from a
# prior `pulmo segment --structures`, loading is not counted). The wall
# seconds of the whole command (load, clustering, writing the NIfTI files)
# are printed beside it.
data=${PM_DATA:-../shared/data}/patients/LIDC-IDRI-0001
out=${TMPDIR:-/tmp}/pulmo-bench-cluster.$$
median() { sort -g | sed -n 3p; }
./pulmo segment "$data" -o "$out/seg" --structures >/dev/null 2>&1 || { echo "segment failed"; exit 1; }
for slices in 64:68 all; do
    opt="--slices $slices"
    [ "$slices" = all ] && opt=""
    cl="" wall=""
    for i in 1 2 3 4 5; do
        t0=$(date +%s.%N)
        ./pulmo cluster "$data" -o "$out/cl" --mask "$out/seg/mask.nii.gz" --clusters 4 $opt >/dev/null 2>&1
        t1=$(date +%s.%N)
        cl="$cl$(sed -n 's/.*"cluster": *\([0-9.e-]*\).*/\1/p' "$out/cl/clusters.json")
"
        wall="$wall$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
"
    done
    it=$(sed -n 's/^  "iterations": *\([0-9]*\).*/\1/p' "$out/cl/clusters.json")
    vox=$(sed -n 's/^  "voxels": *\([0-9]*\).*/\1/p' "$out/cl/clusters.json")
    echo "cluster K=4 slices $slices ($vox voxels, $it iterations): median $(printf '%s' "$cl" | median) s" \
         "clustering (target 0.5 s for 4 slices), $(printf '%s' "$wall" | median) s wall for the command"
done
echo "   load average: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$out"
