#!/bin/sh
# bench_unet.sh - U-Net inference: seconds per 256x256 slice for the
# full-width lungmask layout (wf 6, 64..1024 channels) with generated weights
# on two threads (torch 1.13 on these machines: 0.62 s/slice with 2 threads,
# 2.0 s with 1), and peak memory of the whole pipeline for a 300-slice series.
b=build/rel/tests/bench_unet
[ -x $b ] || { echo "   $b missing (run make bench)"; exit 1; }
echo "speed, 8 slices in parallel on 2 threads (5 runs):"
$b speed 8 2 | sed 's/^/   /'
echo "speed, 1 slice on 2 threads (GEMM threaded, 5 runs):"
$b speed 1 2 | sed 's/^/   /'
echo "speed, 1 slice on 1 thread (5 runs):"
$b speed 1 1 | sed 's/^/   /'
# Peak memory: the full network on 16 slices (weights and workspaces), plus
# what 284 more slices add, measured with the narrow network on 16 and 300.
rss() { /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -1; }
full16=$(rss $b segment 16 6 2)
tiny16=$(rss $b segment 16 3 2)
tiny300=$(rss $b segment 300 3 2)
echo "peak RSS: wf 6 on 16 slices $((full16 / 1024)) MB; wf 3 on 16 / 300 slices" \
     "$((tiny16 / 1024)) / $((tiny300 / 1024)) MB;" \
     "estimate for wf 6 on 300 slices (512x512): $(((full16 + tiny300 - tiny16) / 1024)) MB"
