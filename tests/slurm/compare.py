#!/usr/bin/env python3
"""compare.py - does a merged summary.csv hold every series exactly once, with
the figures of a single-machine run?

    compare.py SINGLE_OUTDIR MERGED_OUTDIR KEY_COLUMN [EXPECTED_COUNT]

Timing columns (names containing "second") and "skipped" depend on the run
and are left out; paths are compared with each run's OUTDIR replaced by "OUT".
Prints one line saying why on a mismatch; exit 0 when they agree.
"""
import csv
import sys


def table(outdir, key):
    with open(f"{outdir}/summary.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    if rows and key not in rows[0]:
        sys.exit(f"{outdir}/summary.csv has no column {key!r}")
    return rows


def figures(row, outdir):
    return {k: (v or "").replace(outdir, "OUT") for k, v in row.items()
            if "second" not in k and k != "skipped"}


def main():
    single, merged, key = sys.argv[1:4]
    expected = int(sys.argv[4]) if len(sys.argv) > 4 else None
    a, b = table(single, key), table(merged, key)
    keys_b = [r[key] for r in b]
    dup = sorted({k for k in keys_b if keys_b.count(k) > 1})
    if dup:
        sys.exit(f"series more than once in the merged summary: {dup}")
    if expected is not None and len(b) != expected:
        sys.exit(f"merged summary has {len(b)} series, the cohort {expected}")
    fa = {r[key]: figures(r, single) for r in a}
    fb = {r[key]: figures(r, merged) for r in b}
    if set(fa) != set(fb):
        sys.exit(f"series differ: only single {sorted(set(fa) - set(fb))}, "
                 f"only merged {sorted(set(fb) - set(fa))}")
    for k in fa:
        if fa[k] != fb[k]:
            diff = {c: (fa[k].get(c), fb[k].get(c)) for c in fa[k] if fa[k].get(c) != fb[k].get(c)}
            sys.exit(f"series {k}: figures differ (single, merged): {diff}")
    ncols = len(next(iter(fa.values()))) if fa else 0
    print(f"{len(b)} series, identical in {ncols} columns (all but timings and 'skipped')")


if __name__ == "__main__":
    main()
