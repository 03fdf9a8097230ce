#!/bin/sh
# run.sh - runs every test program and script given as arguments, counts
# their PASS/FAIL lines and ends with "N passed, N failed".
# A program that dies without printing FAIL (a crash, a sanitizer report)
# counts as one failure under its own name.
passed=0
failed=0
export PM_TEST_TMP="${TMPDIR:-/tmp}/pulmo-tests.$$"
mkdir -p "$PM_TEST_TMP"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
# GDCM and OpenJPEG leak a little on a broken compressed frame (their code,
# not pulmo's; listed in tests/fuzz/lsan.supp); the tests decode broken
# JPEG 2000 frames on purpose.
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$(pwd)/tests/fuzz/lsan.supp:print_suppressions=0}"
for t in "$@"; do
    name=$(basename "$t")
    out="$PM_TEST_TMP/$name.out"
    case "$t" in
        *.sh) sh "$t" >"$out" 2>&1 ;;
        *) "$t" >"$out" 2>&1 ;;
    esac
    rc=$?
    p=$(grep -c '^PASS ' "$out")
    f=$(grep -c '^FAIL ' "$out")
    grep -E '^(PASS|FAIL|SKIP) ' "$out" | sed "s|^|$name: |"
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "$name: FAIL exited with status $rc"
        sed -n '1,40p' "$out" | grep -v '^PASS ' | sed 's/^/    /'
        f=1
    elif [ "$f" -gt 0 ]; then
        grep -E 'ERROR: (Address|Undefined|Leak)Sanitizer|runtime error' "$out" | head -5 | sed 's/^/    /'
    fi
    passed=$((passed + p))
    failed=$((failed + f))
done
rm -rf "$PM_TEST_TMP"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
