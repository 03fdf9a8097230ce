#!/bin/sh
# bench_tui_bytes.sh - bytes the TUI sends at 100x45 cells (10x20-pixel
# cells) to a sixel terminal (xterm with a 1000x1000 limit) and to kitty:
# per slice step, per cursor move, 30 queued slice steps, one mesh frame.
# pulmo runs on a pseudo-terminal that answers like the terminal
# (tests/ptyterm.py) and every byte it writes is counted.
PULMO="$(pwd)/pulmo"
DATA=${PM_DATA:-../shared/data}
case "$DATA" in /*) ;; *) DATA="$(pwd)/$DATA" ;; esac
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
"$PY" tests/tui_graphics.py "$PULMO" "$DATA" "$TMP" --bench
