#!/bin/sh
# bench_render.sh - mesh preview frame time (rasterize + sixel, 200k
# triangles, 640x480) and the sixel size of a 512x512 lung-window slice.
# Builds tests/bench_render.c against the optimised library `make` left in
# build/rel.
data=${PM_DATA:-../shared/data}/patients/LIDC-IDRI-0001
make -s build/rel/libpulmo.a || exit 1
mkdir -p build/bench
cc -std=c11 -D_DEFAULT_SOURCE -O2 -Iinclude -Itests -pthread -o build/bench/bench_render \
    tests/bench_render.c build/rel/libpulmo.a \
    -lgdcmMSFF -lgdcmDSED -lgdcmCommon -lsixel -lpng -lz -lstdc++ -lpthread -lm || exit 1
build/bench/bench_render "$data"
