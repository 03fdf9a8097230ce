#!/bin/sh
# bench_mesh.sh - mesh stages on the LIDC-IDRI-0001 reference lung mask at
# 1 mm (see tests/bench_mesh.c): medians of 5 runs, wall and CPU seconds.
data=${PM_DATA:-../shared/data}
build/rel/tests/bench_mesh "$data/reference/LIDC-IDRI-0001.seed-fill.nii.gz" \
    "${TMPDIR:-/tmp}/pulmo-bench-mesh.$$.stl"
echo "   load average: $(cut -d' ' -f1-3 /proc/loadavg)"
