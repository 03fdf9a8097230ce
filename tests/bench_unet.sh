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
# Peak memory of the whole pipeline (volume, labels, network, workspaces,
# post-processing) on a synthetic 512x512x300 chest with the full network.
n=${BENCH_UNET_SLICES:-300}
out=$( { /usr/bin/time -f 'peak %M KB' $b segment "$n" 6 2; } 2>&1 )
echo "$out" | sed 's/^/   /'
kb=$(echo "$out" | sed -n 's/^peak \([0-9]*\) KB/\1/p')
echo "   peak RSS for $n slices of 512x512, full network, 2 threads: $((kb / 1024)) MB"
