#!/bin/sh
# test_tui_graphics.sh - the TUI's pictures as a sixel (xterm), kitty or
# iTerm2 terminal receives them, on a pseudo-terminal that answers their
# queries (tests/tui_graphics.py, tests/ptyterm.py): sixel limits, bytes of
# a cursor move, frame skipping, and kitty/iTerm2 payloads decoded back to
# the PNG of the same view. Needs python3-numpy and netpbm (DEPS_TEST).
PULMO=${PULMO:-./pulmo}
case "$PULMO" in /*) ;; *) PULMO="$(pwd)/$PULMO" ;; esac
DATA=${PM_DATA:-../shared/data}
case "$DATA" in /*) ;; *) DATA="$(pwd)/$DATA" ;; esac
TMP=${PM_TEST_TMP:-${TMPDIR:-/tmp}}/tui-graphics.$$
mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT INT TERM
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
cd "$TMP" && "$PY" "$OLDPWD/tests/tui_graphics.py" "$PULMO" "$DATA" "$TMP"
