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

# wait_for TEXT [SECONDS]: polls the screen until TEXT (fixed string) shows.
wait_for() {
    end=$(( $(date +%s) + ${2:-$LONG} ))
    while [ "$(date +%s)" -le "$end" ]; do
        screen | grep -qF -- "$1" && return 0
        sleep 0.2
    done
    return 1
}
# wait_gone TEXT [SECONDS]
wait_gone() {
    end=$(( $(date +%s) + ${2:-$LONG} ))
    while [ "$(date +%s)" -le "$end" ]; do
        screen | grep -qF -- "$1" || return 0
        sleep 0.2
    done
    return 1
}
# wait_re REGEX [SECONDS]: the same with a basic regular expression.
wait_re() {
    end=$(( $(date +%s) + ${2:-$LONG} ))
    while [ "$(date +%s)" -le "$end" ]; do
        screen | grep -q -- "$1" && return 0
        sleep 0.2
    done
    return 1
}
# wait_until COMMAND [SECONDS]: polls until COMMAND succeeds (a screen that
# is being redrawn is caught half way by a single look).
wait_until() {
    end=$(( $(date +%s) + ${2:-$LONG} ))
    while [ "$(date +%s)" -le "$end" ]; do
        "$1" && return 0
        sleep 0.2
    done
    return 1
}
keys() { $T send-keys -t $S "$@"; }
