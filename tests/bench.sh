#!/bin/sh
# bench.sh - runs every tests/bench_*.sh in turn; each prints its own figures.
# Benchmarks use the optimised ./pulmo, never the sanitized build.
for b in tests/bench_*.sh; do
    [ -f "$b" ] || continue
    echo "== $(basename "$b" .sh)"
    sh "$b" || echo "   (benchmark $b failed)"
done
