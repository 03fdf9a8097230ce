#!/bin/sh
# test_slurm.sh - pulmo batch on a real one-node Slurm cluster (tests/slurm/cluster.sh).
#
# Needs root and the Debian packages slurmctld slurmd slurm-client munge
# (`make deps` installs them); prints a SKIP line and passes when they are
# missing. Every wait is bounded; the daemons it started are stopped by their
# pid files on any exit.
here=$(cd "$(dirname "$0")" && pwd)
cluster="$here/slurm/cluster.sh"
PULMO=${PULMO:-./pulmo}
case "$PULMO" in /*) ;; *) PULMO=$(pwd)/$PULMO ;; esac
WAIT=${PULMO_SLURM_JOB_WAIT:-1200}

skip() { echo "SKIP slurm: $*"; exit 0; }
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }
failed=0

[ "$(id -u)" = 0 ] || skip "needs root to run slurmd (make test as root runs it)"
for b in munged slurmctld slurmd sbatch squeue scontrol sinfo; do
    command -v "$b" >/dev/null 2>&1 || skip "$b missing: the Slurm packages are not installed (make deps)"
done
command -v flock >/dev/null 2>&1 || skip "flock (util-linux) missing"

# One cluster at a time on this machine: several worktrees may run make test.
exec 9>"${TMPDIR:-/tmp}/pulmo-slurm-test.lock"
flock -w 900 9 || skip "another Slurm test held the lock for 15 minutes"

D=$(mktemp -d "${TMPDIR:-/tmp}/pulmo-slurm.XXXXXX") || { echo "FAIL slurm: mktemp"; exit 1; }
cleanup() { sh "$cluster" stop "$D" >/dev/null 2>&1; rm -rf "$D"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits (bounded) until job $1 has left the queue; then its records remain
# visible to scontrol for MinJobAge seconds.
wait_job() {
    t=0
    while [ -n "$(squeue -h -j "$1" -o %i 2>/dev/null)" ]; do
        [ "$t" -ge "$2" ] && return 1
        sleep 1; t=$((t + 1))
    done
    return 0
}

# "TASK STATE EXIT" per array task of job $1, sorted by task.
task_states() {
    scontrol -o show job "$1" 2>/dev/null | sed -n \
        's/.*ArrayTaskId=\([0-9]*\) .*JobState=\([A-Z_]*\) .*ExitCode=\([0-9]*\):.*/\1 \2 \3/p' | sort -n
}

if ! sh "$cluster" start "$D" >"$D.start" 2>&1; then
    echo "FAIL slurm_cluster_starts: $(tail -n 20 "$D.start" | tr '\n' ' ')"
    rm -f "$D.start"; exit 1
fi
rm -f "$D.start"
. "$D/env"
pass slurm_cluster_starts

# The harness itself: a 3-task array sees the array variables, and a failing
# task shows as FAILED with its exit code while the others complete.
cat >"$D/probe.sh" <<EOF
#!/bin/sh
#SBATCH --array=1-3
#SBATCH --cpus-per-task=1
#SBATCH --mem=64M
#SBATCH --time=2
#SBATCH --output=$D/probe-%a.out
echo "\$SLURM_ARRAY_TASK_ID \$SLURM_ARRAY_TASK_COUNT \$SLURM_ARRAY_TASK_MIN"
[ "\$SLURM_ARRAY_TASK_ID" != 2 ] || exit 3
EOF
job=$(sbatch --parsable "$D/probe.sh" 2>&1)
case "$job" in
    ''|*[!0-9]*) fail slurm_array_job_runs "sbatch said: $job" ;;
    *)
        if ! wait_job "$job" 120; then
            fail slurm_array_job_runs "job $job still queued after 120 s: $(squeue -h -j "$job")"
        else
            got=$(task_states "$job" | tr '\n' ',')
            outs=$(cat "$D"/probe-1.out "$D"/probe-2.out "$D"/probe-3.out 2>/dev/null | tr '\n' ',')
            if [ "$got" = "1 COMPLETED 0,2 FAILED 3,3 COMPLETED 0," ] && [ "$outs" = "1 3 1,2 3 1,3 3 1," ]; then
                pass slurm_array_job_runs
            else
                fail slurm_array_job_runs "states '$got', outputs '$outs'"
            fi
        fi ;;
esac

exit $failed
