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

# ---- pulmo batch through the array ------------------------------------------
if ! "$PULMO" batch --help 2>/dev/null | grep -q -- '--sbatch'; then
    echo "SKIP slurm_batch: this pulmo has no batch --sbatch"
    exit $failed
fi
DATA=${PM_DATA:-../shared/data}
case "$DATA" in /*) ;; *) DATA=$(pwd)/$DATA ;; esac

# The cohort: ../shared/data/patients, samples/patients (when generated) and
# the two-slice edge series as "blocked", as one ROOT: real folders of
# symbolic links to the files (the indexer follows linked files, not linked
# folders). "blocked" fails: a file stands where its output folder would go
# (write_failed), in both runs.
mirror() { # SRC DST
    (cd "$1" && find . -type d) | while IFS= read -r d; do mkdir -p "$2/$d"; done
    (cd "$1" && find . -type f ! -name '.*') | while IFS= read -r f; do ln -s "$1/$f" "$2/$f"; done
}
C="$D/cohort"
mirror "$DATA/patients" "$C/patients"
if [ -d samples/patients ] && [ -n "$(ls samples/patients 2>/dev/null)" ]; then
    mirror "$(pwd)/samples/patients" "$C/samples"
else
    echo "SKIP slurm_samples: samples/patients is empty (make samples); cohort without phantoms"
fi
mirror "$DATA/edge/two-slices-no-modality" "$C/blocked"
ncohort=$("$PULMO" scan "$C" --json 2>/dev/null | python3 -c '
import json, sys
print(sum(1 for s in json.load(sys.stdin)["series"] if s.get("modality") in ("CT", "")))')

# The reference: the same cohort on this machine, in one process.
mkdir -p "$D/single" && : >"$D/single/blocked"
"$PULMO" batch "$C" -o "$D/single" --jobs 2 >"$D/single.out" 2>&1
rc=$?
[ $rc -eq 0 ] || fail slurm_single_machine_batch "exit $rc: $(tail -n 3 "$D/single.out")"

# The script pulmo prints, submitted as it is.
"$PULMO" batch "$C" -o "$D/array" --sbatch --array 3 --cpus 1 --mem 3G --time 30 \
    >"$D/job.sh" 2>"$D/sbatch.err"
rc=$?
if [ $rc -ne 0 ] || ! grep -q '^#SBATCH --array=1-3$' "$D/job.sh"; then
    fail slurm_sbatch_script "exit $rc: $(cat "$D/sbatch.err") $(head -n 3 "$D/job.sh")"
    exit 1
fi
: >"$D/array/blocked"
submit() { # SBATCH-OPTIONS... ; prints the job id
    out=$(sbatch --parsable "$@" "$D/job.sh" 2>&1)
    case "$out" in ''|*[!0-9]*) echo "sbatch: $out" >&2; return 1 ;; esac
    wait_job "$out" "$WAIT" || { echo "job $out not done after $WAIT s" >&2; return 1; }
    echo "$out"
}
# "series status" of shard I's table
rows_of() { python3 -c '
import csv, sys
for r in csv.DictReader(open(sys.argv[1])): print(r["series"], r["status"], r["skipped"])' "$1" 2>/dev/null; }

job=$(submit 2>"$D/submit.err") || { fail slurm_array_runs_pulmo_batch "$(cat "$D/submit.err")"; exit 1; }
states=$(task_states "$job")
bad=""
for i in 1 2 3; do
    t="$D/array/summary-$i-of-3.csv"
    st=$(echo "$states" | awk -v i=$i '$1 == i {print $2, $3}')
    if [ ! -s "$t" ]; then bad="$bad task $i ($st) wrote no $t;"; continue; fi
    nfail=$(rows_of "$t" | awk '$2 != "ok" && $2 != "no_lungs"' | wc -l)
    case "$nfail:$st" in
        0:"COMPLETED 0") ;;
        0:*) bad="$bad task $i: $st with no failed series;" ;;
        *:"COMPLETED 0") bad="$bad task $i: exit 0 with $nfail failed series;" ;;
        *:"FAILED "[1-9]*) nfailed_tasks=$(( ${nfailed_tasks:-0} + 1 )) ;;
        *) bad="$bad task $i: $st;" ;;
    esac
done
if [ -n "$bad" ]; then
    fail slurm_task_exit_status_says_whether_a_series_failed "$bad logs: $(tail -n 3 "$D"/array/logs/*.out | tr '\n' ' ')"
elif [ "${nfailed_tasks:-0}" -ne 1 ]; then
    fail slurm_task_exit_status_says_whether_a_series_failed "${nfailed_tasks:-0} failed tasks, expected 1 (blocked)"
else
    pass slurm_task_exit_status_says_whether_a_series_failed
fi

"$PULMO" batch --merge "$D/array" >"$D/merge.out" 2>&1
rc=$?
# only the blocked series failed: --merge exits 3 and names it
if [ $rc -ne 3 ] || ! grep -q '^failed 1: blocked$' "$D/merge.out"; then
    fail slurm_merge_names_failed_series "exit $rc: $(cat "$D/merge.out")"
else
    pass slurm_merge_names_failed_series
fi
if why=$(python3 "$here/slurm/compare.py" "$D/single" "$D/array" series "$ncohort" 2>&1); then
    pass slurm_array_matches_single_machine_batch
    echo "    $why"
else
    fail slurm_array_matches_single_machine_batch "$why"
fi

# Restartable: the same script again skips every finished series (their
# reports stay untouched); a lost report is redone by re-running its task
# alone (sbatch --array=I), which --shard auto maps to shard I of 3.
snap() { find "$D/array" -name report.json -exec stat -c '%n %Y %s' {} + | sort; }
before=$(snap)
# the first series of the plan with an ok report, and its shard
set -- $(python3 -c '
import csv, sys
for r in csv.DictReader(open(sys.argv[1] + "/shards.csv")):
    try:
        if "\"status\": \"ok\"" in open(sys.argv[1] + "/" + r["series"] + "/report.json").read():
            print(r["series"], r["shard"]); break
    except OSError:
        pass' "$D/array")
victim=${1:-}; vshard=${2:-}
job=$(submit 2>"$D/submit.err") || { fail slurm_resubmission_skips_finished_series "$(cat "$D/submit.err")"; exit 1; }
after=$(snap)
notskipped=$(for i in 1 2 3; do rows_of "$D/array/summary-$i-of-3.csv"; done | awk '$2 == "ok" || $2 == "no_lungs"' | awk '$3 != 1' | wc -l)
if [ "$before" != "$after" ] || [ "$notskipped" -ne 0 ]; then
    fail slurm_resubmission_skips_finished_series "$notskipped finished series recomputed; reports changed: $(echo "$before" | diff - "$(printf '%s' "$after")" 2>/dev/null | head -n 3)"
else
    pass slurm_resubmission_skips_finished_series
fi
if [ -n "$victim" ]; then
    rm -f "$D/array/$victim/report.json"
    job=$(submit --array="$vshard" 2>"$D/submit.err")
    if [ -z "$job" ]; then
        fail slurm_rerun_of_one_task_redoes_its_shard "$(cat "$D/submit.err")"
    elif [ ! -s "$D/array/$victim/report.json" ] ||
         ! rows_of "$D/array/summary-$vshard-of-3.csv" | grep -q "^$victim ok 0$" ||
         [ -e "$D/array/summary-1-of-1.csv" ]; then
        fail slurm_rerun_of_one_task_redoes_its_shard "$victim: $(rows_of "$D/array/summary-$vshard-of-3.csv" | tr '\n' ';') $(ls "$D/array")"
    else
        pass slurm_rerun_of_one_task_redoes_its_shard
    fi
    "$PULMO" batch --merge "$D/array" >"$D/merge.out" 2>&1
    if why=$(python3 "$here/slurm/compare.py" "$D/single" "$D/array" series "$ncohort" 2>&1); then
        pass slurm_merge_after_reruns_matches_single_machine
    else
        fail slurm_merge_after_reruns_matches_single_machine "$why"
    fi
else
    fail slurm_rerun_of_one_task_redoes_its_shard "no series with an ok report"
fi

exit $failed
