#!/bin/sh
# test_install.sh - `make install` into a temporary PREFIX gives an
# embeddable library: a small C program (and a C++ one: extern "C") built
# with `pkg-config --cflags --libs pulmo` links and runs against it.
# Runs in the project root after `make test` built the release library.
TMP=${PM_TEST_TMP:-${TMPDIR:-/tmp}}/install.$$
mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT INT TERM
fail() { echo "FAIL $1: $2"; }

if ! make -s --no-print-directory install PREFIX="$TMP/prefix" >"$TMP/make.out" 2>&1; then
    fail install_puts_library_headers_and_pkgconfig "make install failed: $(tail -5 "$TMP/make.out")"
    exit 0
fi
if [ -f "$TMP/prefix/lib/libpulmo.a" ] && [ -f "$TMP/prefix/include/pulmo/core.h" ] &&
   [ -f "$TMP/prefix/lib/pkgconfig/pulmo.pc" ]; then
    echo "PASS install_puts_library_headers_and_pkgconfig"
else
    fail install_puts_library_headers_and_pkgconfig "$(cd "$TMP/prefix" && find . -type f | head)"
    exit 0
fi

cat >"$TMP/embed.c" <<'C'
/* A user of the library: builds a phantom volume and segments it. */
#include <pulmo/core.h>
#include <pulmo/phantom.h>
#include <pulmo/recipe.h>
#include <stdio.h>

int main(void)
{
    pm_recipe r;
    if (pm_recipe_init(&r, "default") != PM_OK)
        return 1;
    if (pm_recipe_set(&r, "threshold.hu_max=-300", NULL) != PM_OK)
        return 2;
    if (pm_recipe_set(&r, "nosuch.param=1", NULL) == PM_OK)
        return 3;
    printf("pulmo %s: %d recipes, %d steps in default\n", PM_VERSION, pm_recipe_count(), r.nsteps);
    return 0;
}
C
cp "$TMP/embed.c" "$TMP/embed.cpp"
export PKG_CONFIG_PATH="$TMP/prefix/lib/pkgconfig"
flags=$(pkg-config --cflags --libs pulmo 2>"$TMP/pc.err")
if [ -z "$flags" ]; then
    fail embedding_program_builds_with_pkg_config "pkg-config: $(cat "$TMP/pc.err")"
    exit 0
fi
# shellcheck disable=SC2086
if cc -std=c11 -o "$TMP/embed" "$TMP/embed.c" $flags >"$TMP/cc.out" 2>&1 &&
   "$TMP/embed" >"$TMP/run.out" 2>&1 && grep -q "recipes" "$TMP/run.out"; then
    echo "PASS embedding_program_builds_with_pkg_config"
else
    fail embedding_program_builds_with_pkg_config "$(tail -5 "$TMP/cc.out" "$TMP/run.out" 2>/dev/null)"
fi
# shellcheck disable=SC2086
if c++ -o "$TMP/embedxx" "$TMP/embed.cpp" $flags >"$TMP/cxx.out" 2>&1 && "$TMP/embedxx" >/dev/null 2>&1; then
    echo "PASS headers_link_from_cplusplus"
else
    fail headers_link_from_cplusplus "$(tail -5 "$TMP/cxx.out")"
fi

# Every function an installed header declares, referenced from C++: a header
# without extern "C" gives a mangled name that the C library does not define.
# The names are those the library defines (nm) that a header declares.
nm -g --defined-only "$TMP/prefix/lib/libpulmo.a" 2>/dev/null | awk '$2 == "T" {print $3}' | sort -u >"$TMP/defined"
{
    for h in "$TMP"/prefix/include/pulmo/*.h; do echo "#include <pulmo/${h##*/}>"; done
    echo "typedef void (*fn)(void);"
    echo "fn all[] = {"
    cat "$TMP"/prefix/include/pulmo/*.h | grep -o '\bpm_[a-z0-9_]*(' | tr -d '(' | sort -u |
        comm -12 - "$TMP/defined" | sed 's/.*/    reinterpret_cast<fn>(\&&),/'
    echo "};"
    echo "int main() { return all[0] == nullptr; }"
} >"$TMP/every.cpp"
nfn=$(grep -c reinterpret_cast "$TMP/every.cpp")
# shellcheck disable=SC2086
if [ "$nfn" -gt 200 ] && c++ -o "$TMP/every" "$TMP/every.cpp" $flags >"$TMP/every.out" 2>&1 && "$TMP/every"; then
    echo "PASS every_public_function_links_from_cplusplus"
else
    fail every_public_function_links_from_cplusplus "$nfn functions; $(grep -m3 'undefined reference' "$TMP/every.out")"
fi
