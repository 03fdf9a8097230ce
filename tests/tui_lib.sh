# tui_lib.sh - sourced by the tmux-driven TUI tests: reading the screen of
# session $S on server $T and waiting for text, with $LONG seconds as the
# default bound, and PASS/FAIL lines (a failure shows the screen and the
# end of $TMP/stderr).

pass() { echo "PASS $1"; }
fail() {
    echo "FAIL $1: $2"
    echo "---- screen:"
    screen | sed 's/^/    | /'
    [ -s "$TMP/stderr" ] && { echo "---- pulmo stderr:"; tail -20 "$TMP/stderr" | sed 's/^/    ! /'; }
    return 0
}

screen() { $T capture-pane -t $S -p 2>/dev/null; }

# wait_until SECONDS COMMAND [ARGS...]: polls until COMMAND succeeds (a
# screen being redrawn is caught half way by a single look).
wait_until() {
    end=$(( $(date +%s) + $1 ))
    shift
    while [ "$(date +%s)" -le "$end" ]; do
        "$@" && return 0
        sleep 0.2
    done
    return 1
}
shows() { screen | grep -qF -- "$1"; }
hides() { ! shows "$1"; }
shows_re() { screen | grep -q -- "$1"; }
# wait_for TEXT [SECONDS]: until TEXT (fixed string) shows; wait_gone TEXT
# [SECONDS]: until it is gone; wait_re REGEX [SECONDS]: a basic regular
# expression. $LONG seconds unless told.
wait_for() { wait_until "${2:-$LONG}" shows "$1"; }
wait_gone() { wait_until "${2:-$LONG}" hides "$1"; }
wait_re() { wait_until "${2:-$LONG}" shows_re "$1"; }
keys() { $T send-keys -t $S "$@"; }
