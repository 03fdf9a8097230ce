#!/bin/sh
# bench_render.sh - mesh preview frame time (rasterize + sixel, 200k
# triangles, 640x480: a sphere and a real surface) and the sixel size of a
# 512x512 lung-window slice. Wall times suffer when other jobs share the
# cores; the CPU figure is the work one frame costs.
# Builds tests/bench_render.c against the optimised library `make` left in
# build/rel.
data=${PM_DATA:-../shared/data}/patients/LIDC-IDRI-0001
make -s build/rel/libpulmo.a || exit 1
mkdir -p build/bench
cc -std=c11 -D_DEFAULT_SOURCE -O2 -Iinclude -Itests -pthread -o build/bench/bench_render \
    tests/bench_render.c build/rel/libpulmo.a \
    -lgdcmMSFF -lgdcmDSED -lgdcmCommon -lsixel -lpng -lz -lstdc++ -lpthread -lm || exit 1
# A real surface: the LIDC bone and contrast surface at +300 HU, reduced to
# 200k triangles by pulmo mesh (made once, kept in build/bench).
bone=build/bench/lidc-300hu-200k.stl
[ -f "$bone" ] || ./pulmo mesh "$data" --level 300 --triangles 200000 -o "$bone" >/dev/null 2>&1 || bone=""
build/bench/bench_render "$data" $bone
