#!/bin/sh
# run.sh SECONDS SEEDS TARGET... - runs each libFuzzer target for SECONDS on
# build/fuzz/corpus/<name> (grown across runs) seeded from SEEDS/<kind>, and
# prints one line per target: executions, corpus size, crashes. Crash inputs
# land in build/fuzz/crashes/ (keep a small one under tests/regress/ once
# fixed). Exits 1 when any target found a crash, leak, timeout or OOM.
secs=$1; seeds=$2; shift 2
root=build/fuzz
mkdir -p "$root/crashes" "$root/logs"
# Leaks stop a run like crashes do; lsan.supp lists the known one in GDCM.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$(pwd)/tests/fuzz/lsan.supp}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
status=0
for bin in "$@"; do
    name=$(basename "$bin")
    case "$name" in
        fuzz_dicom) kind=dicom; maxlen=600000 ;;
        fuzz_series) kind=series; maxlen=1100000 ;;
        fuzz_nifti) kind=nifti; maxlen=65536 ;;
        fuzz_stl) kind=stl; maxlen=65536 ;;
        fuzz_pth) kind=pth; maxlen=2100000 ;;
        fuzz_text) kind=text; maxlen=512 ;;
        fuzz_rtstruct) kind=rtstruct; maxlen=2100000 ;;
        *) kind=${name#fuzz_}; maxlen=262144 ;;
    esac
    corpus="$root/corpus/$name"
    mkdir -p "$corpus"
    dict=""
    [ -f "tests/fuzz/$kind.dict" ] && dict="-dict=tests/fuzz/$kind.dict"
    [ "$kind" = series ] && dict="-dict=tests/fuzz/dicom.dict"
    log="$root/logs/$name.log"
    before=$(ls "$root/crashes" | grep -c "^$name-" || true)
    "$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=2560 -malloc_limit_mb=1024 \
        -max_len="$maxlen" -print_final_stats=1 -artifact_prefix="$root/crashes/$name-" \
        $dict "$corpus" "$seeds/$kind" >"$log" 2>&1
    rc=$?
    after=$(ls "$root/crashes" | grep -c "^$name-" || true)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    files=$(ls "$corpus" | wc -l)
    printf '%-12s %10s execs  %6s/s  %s  corpus %s  new crashes %d  (rc %d, log %s)\n' \
        "$name" "${execs:-?}" "${speed:-?}" "${cov:-cov: ?}" "$files" $((after - before)) "$rc" "$log"
    if [ "$rc" -ne 0 ] || [ "$after" -gt "$before" ]; then
        status=1
        grep -E 'ERROR: |SUMMARY: |runtime error|^==[0-9]+== ?ERROR' "$log" | head -5 | sed 's/^/    /'
    fi
done
exit $status
