#!/bin/sh
# cluster.sh - a throw-away one-node Slurm cluster on 127.0.0.1 for tests.
#
#   tests/slurm/cluster.sh start DIR   configure and start munged, slurmctld and
#                                      slurmd under DIR; wait until the node is idle
#   tests/slurm/cluster.sh stop DIR    cancel its jobs, stop the daemons by their
#                                      pid files
#   tests/slurm/cluster.sh status DIR  sinfo and squeue of that cluster
#
# Everything lives in DIR (created, must not hold a running cluster): the
# configuration, the munge key and socket, state, spool, pid and log files.
# Nothing is written to /etc and no system service is touched, so it runs next to
# a real Slurm or munge installation. Clients reach it with
#   SLURM_CONF=DIR/slurm.conf   (DIR/env holds that line, ready to source).
# Ports: the first free pair from 16817/16818 upwards (PULMO_SLURM_PORT=N forces
# N and N+1). Must run as root: slurmd starts jobs as their submitting user.
# The Debian packages: slurmctld slurmd slurm-client munge.
set -u

die() { echo "cluster.sh: $*" >&2; exit 1; }

# A TCP port is taken when /proc lists it in state 0A (LISTEN).
port_busy() {
    hex=$(printf '%04X' "$1")
    grep -Eq "^ *[0-9]+: [0-9A-F]+:$hex [0-9A-F]+:[0-9A-F]+ 0A " /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

pick_ports() {
    if [ -n "${PULMO_SLURM_PORT:-}" ]; then
        P1=$PULMO_SLURM_PORT; P2=$((P1 + 1)); return
    fi
    P1=16817
    while [ "$P1" -lt 17817 ]; do
        P2=$((P1 + 1))
        if ! port_busy "$P1" && ! port_busy "$P2"; then return; fi
        P1=$((P1 + 2))
    done
    die "no free port pair between 16817 and 17817"
}

pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# A daemon writes its pid file after it forks, a moment after the command
# that started it returned: wait (up to $2 s) for the file and the process.
wait_pid() {
    n=0
    while ! pid_alive "$1"; do
        [ "$n" -ge $(($2 * 10)) ] && return 1
        sleep 0.1; n=$((n + 1))
    done
    return 0
}

# Stops the process named in pid file $1 (TERM, then KILL after $2 seconds).
stop_pid() {
    [ -s "$1" ] || return 0
    pid=$(cat "$1")
    case "$pid" in ''|*[!0-9]*) rm -f "$1"; return 0 ;; esac
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        n=0
        while kill -0 "$pid" 2>/dev/null && [ "$n" -lt $(($2 * 10)) ]; do sleep 0.1; n=$((n + 1)); done
        if kill -0 "$pid" 2>/dev/null; then
            echo "cluster.sh: $(basename "$1" .pid) ($pid) ignored TERM, killing" >&2
            kill -KILL "$pid" 2>/dev/null
        fi
    fi
    rm -f "$1"
}

show_logs() {
    for f in "$D"/log/*.log; do
        [ -s "$f" ] || continue
        echo "--- $f (last lines)" >&2
        tail -n 15 "$f" >&2
    done
}

write_conf() {
    node=$(hostname -s 2>/dev/null || hostname)
    [ -n "$node" ] || node=localhost
    # slurmd -C describes this machine as slurmd will register it; a node
    # configured with more CPUs or memory than it has would be drained.
    hw=$(slurmd -C 2>/dev/null | head -n 1) || hw=""
    cpus=$(echo "$hw" | sed -n 's/.*CPUs=\([0-9]*\).*/\1/p')
    mem=$(echo "$hw" | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
    [ -n "$cpus" ] || cpus=$(nproc)
    [ -n "$mem" ] || mem=$(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo)
    NODE=$node
    mkdir -p "$D/spool/$node"
    : >"$D/plugstack.conf"
    cat >"$D/slurm.conf" <<EOF
# One-node test cluster written by tests/slurm/cluster.sh; nothing in /etc.
ClusterName=pulmotest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$P1
SlurmdPort=$P2
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$D/munge/munge.socket.2
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool/%n
SlurmctldPidFile=$D/run/slurmctld.pid
SlurmdPidFile=$D/run/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$D/plugstack.conf
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=512
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MailProg=/bin/true
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=600
KillWait=5
Waittime=0
NodeName=$node NodeAddr=127.0.0.1 NodeHostname=$node CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=pulmo Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
    echo "export SLURM_CONF=$D/slurm.conf" >"$D/env"
}

start_munge() {
    # munged refuses keys and directories that others can write; mktemp-like
    # private directories (0700) satisfy it.
    mkdir -p "$D/munge" && chmod 700 "$D/munge"
    dd if=/dev/urandom of="$D/munge/munge.key" bs=1024 count=1 2>/dev/null || die "cannot write the munge key"
    chmod 600 "$D/munge/munge.key"
    munged --key-file="$D/munge/munge.key" --socket="$D/munge/munge.socket.2" \
        --pid-file="$D/run/munged.pid" --log-file="$D/log/munged.log" \
        --seed-file="$D/munge/munged.seed" --force \
        || { show_logs; die "munged did not start"; }
    wait_pid "$D/run/munged.pid" 10 || { show_logs; stop_pid "$D/run/munged.pid" 10; die "munged did not stay up"; }
    n=0
    while [ ! -S "$D/munge/munge.socket.2" ] && [ "$n" -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
    # A credential round trip through our own socket proves the key works.
    echo ok | munge --socket="$D/munge/munge.socket.2" 2>/dev/null \
        | unmunge --socket="$D/munge/munge.socket.2" >/dev/null 2>&1 \
        || { show_logs; stop_pid "$D/run/munged.pid" 10; die "munge round trip through $D/munge/munge.socket.2 failed"; }
}

# Waits up to $1 seconds for the node to be idle; resumes it once if it came up
# down or drained (a fresh cluster has no reason to keep it so).
wait_idle() {
    t=0; resumed=0
    while [ "$t" -lt $(($1 * 2)) ]; do
        st=$(sinfo -h -N -n "$NODE" -o '%T' 2>/dev/null | head -n 1)
        case "$st" in
            idle|mixed|allocated) return 0 ;;
            down*|drain*|fail*)
                if [ "$resumed" = 0 ] && [ "$t" -gt 4 ]; then
                    scontrol update nodename="$NODE" state=resume >/dev/null 2>&1
                    resumed=1
                fi ;;
        esac
        for p in slurmctld slurmd; do
            pid_alive "$D/run/$p.pid" && continue
            echo "cluster.sh: $p exited" >&2
            show_logs
            return 1
        done
        sleep 0.5; t=$((t + 1))
    done
    echo "cluster.sh: node $NODE not idle after $1 s (state: ${st:-none})" >&2
    sinfo -R >&2 2>/dev/null
    show_logs
    return 1
}

cmd_start() {
    [ "$(id -u)" = 0 ] || die "must run as root (slurmd runs jobs as their users)"
    for b in munged munge unmunge slurmctld slurmd sinfo sbatch scontrol; do
        command -v "$b" >/dev/null 2>&1 || die "$b not found (Debian: slurmctld slurmd slurm-client munge)"
    done
    if [ -s "$D/run/slurmctld.pid" ] && pid_alive "$D/run/slurmctld.pid"; then
        die "a cluster is already running in $D"
    fi
    mkdir -p "$D" && chmod 700 "$D" || die "cannot create $D"
    mkdir -p "$D/state" "$D/spool" "$D/run" "$D/log" || die "cannot create folders in $D"
    pick_ports
    write_conf
    SLURM_CONF="$D/slurm.conf"; export SLURM_CONF
    start_munge
    # On any failure from here on, stop what was started.
    if ! slurmctld -f "$SLURM_CONF" -c -i || ! wait_pid "$D/run/slurmctld.pid" 15; then
        show_logs; cmd_stop; die "slurmctld did not start"
    fi
    if ! slurmd -f "$SLURM_CONF" -N "$NODE" || ! wait_pid "$D/run/slurmd.pid" 15; then
        show_logs; cmd_stop; die "slurmd did not start"
    fi
    if ! wait_idle "${PULMO_SLURM_WAIT:-60}"; then
        cmd_stop; die "the cluster did not come up"
    fi
    echo "cluster up: node $NODE, ports $P1/$P2, SLURM_CONF=$SLURM_CONF"
}

cmd_stop() {
    [ -d "$D" ] || return 0
    SLURM_CONF="$D/slurm.conf"; export SLURM_CONF
    if pid_alive "$D/run/slurmctld.pid"; then
        # Jobs first, so no step daemon outlives the cluster.
        scancel --full --quiet --partition=pulmo 2>/dev/null
        n=0
        while [ -n "$(squeue -h -t running,completing -o %i 2>/dev/null)" ] && [ "$n" -lt 30 ]; do
            sleep 0.5; n=$((n + 1))
        done
    fi
    stop_pid "$D/run/slurmd.pid" 15
    stop_pid "$D/run/slurmctld.pid" 15
    stop_pid "$D/run/munged.pid" 10
    return 0
}

[ $# -eq 2 ] || die "usage: cluster.sh start|stop|status DIR"
case "$2" in /*) D=$2 ;; *) D=$(pwd)/$2 ;; esac
case "$1" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status)
        SLURM_CONF="$D/slurm.conf"; export SLURM_CONF
        sinfo; squeue ;;
    *) die "usage: cluster.sh start|stop|status DIR" ;;
esac
