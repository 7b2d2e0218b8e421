#!/usr/bin/env bash
# flowsim — a private single-node Slurm cluster in a directory, for tests.
#
#   eval "$(tests/slurm/slurm-local.sh start DIR)"   # prints: export SLURM_CONF=DIR/slurm.conf
#   ...sbatch, squeue...
#   tests/slurm/slurm-local.sh stop DIR
#
# slurmctld and slurmd (Debian 12: slurm-wlm 22.05) run as the calling user
# with AuthType=auth/none (no munge: authenticates nothing, for a sandbox or
# CI only), proctrack/linuxproc and task/none (no cgroups needed), state,
# spool, logs and pid files under DIR; /etc/slurm is never read. The port
# pair is the first free one from 6817 up (SLURM_LOCAL_PORT to choose).
# Environment: SLURM_LOCAL_CPUS (default: all), SLURM_LOCAL_MEM (MB, default
# 90 % of RAM), SLURM_LOCAL_TIMEOUT (seconds to wait for the node, 30).
# start exits 1, with the daemons' log tails on stderr and nothing left
# running, when the node does not come up.
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
set -u

die() { echo "slurm-local: $*" >&2; exit 1; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

write_conf() {
    local d=$1 user port cpus mem
    user=$(id -un)
    port=${SLURM_LOCAL_PORT:-}
    if [ -z "$port" ]; then
        port=6817
        while port_busy "$port" || port_busy $((port + 1)); do
            port=$((port + 2))
            [ "$port" -lt 6900 ] || die "no free port pair between 6817 and 6900"
        done
    fi
    cpus=${SLURM_LOCAL_CPUS:-$(nproc)}
    mem=${SLURM_LOCAL_MEM:-$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)}
    mkdir -p "$d/state" "$d/spool" "$d/log"
    cat > "$d/slurm.conf" <<EOF
ClusterName=local
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/none
CredType=cred/none
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$d/jobcomp.txt
MinJobAge=3600
MpiDefault=none
MailProg=/bin/true
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmdTimeout=30
KillWait=5
NodeName=localnode NodeAddr=127.0.0.1 NodeHostname=localhost CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE OverSubscribe=NO State=UP
EOF
}

# Waits for a daemon's pid file (the daemons write it after forking).
pid_of() {
    local f=$1 i
    for i in $(seq 1 50); do
        [ -s "$f" ] && { cat "$f"; return 0; }
        sleep 0.1
    done
    return 1
}

tails() {
    local d=$1 f
    for f in "$d"/log/slurmctld.log "$d"/log/slurmd.log; do
        [ -f "$f" ] || continue
        echo "---- $f (last lines)" >&2
        tail -n 15 "$f" >&2
    done
}

start() {
    local d
    d=$(cd "$1" && pwd) || die "no directory $1"
    command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null ||
        die "slurmctld, slurmd or sbatch not installed (Debian: apt-get install slurmctld slurmd slurm-client)"
    write_conf "$d"
    export SLURM_CONF=$d/slurm.conf
    : > "$d/pids"
    slurmctld -c -f "$d/slurm.conf" || { tails "$d"; die "slurmctld did not start"; }
    local p
    p=$(pid_of "$d/slurmctld.pid") || { tails "$d"; die "slurmctld wrote no pid file"; }
    echo "$p" >> "$d/pids"
    slurmd -c -f "$d/slurm.conf" -N localnode || { tails "$d"; stop "$d"; die "slurmd did not start"; }
    p=$(pid_of "$d/slurmd.pid") || { tails "$d"; stop "$d"; die "slurmd wrote no pid file"; }
    echo "$p" >> "$d/pids"
    local t0=$SECONDS state=""
    while [ $((SECONDS - t0)) -lt "${SLURM_LOCAL_TIMEOUT:-30}" ]; do
        state=$(sinfo -h -n localnode -o %T 2>/dev/null | head -n 1)
        case "$state" in idle*|mixed*|allocated*) break ;; esac
        sleep 0.2
    done
    case "$state" in
    idle*|mixed*|allocated*) ;;
    *) tails "$d"; stop "$d" >/dev/null 2>&1
       die "the node did not become idle within ${SLURM_LOCAL_TIMEOUT:-30} s (state '${state:-none}')" ;;
    esac
    echo "export SLURM_CONF=$d/slurm.conf"
}

# Cancels every job, waits for the queue to empty (running steps are killed
# within KillWait), shuts the daemons down and waits for the recorded PIDs;
# whatever is still alive 10 s later is killed.
stop() {
    local d
    d=$(cd "$1" && pwd) || die "no directory $1"
    export SLURM_CONF=$d/slurm.conf
    local i
    if [ -s "$d/pids" ]; then
        scancel --partition=local >/dev/null 2>&1
        for i in $(seq 1 75); do
            [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break
            sleep 0.2
        done
        scontrol shutdown >/dev/null 2>&1
    fi
    local pids
    pids=$(cat "$d/pids" 2>/dev/null)
    for i in $(seq 1 100); do
        local alive=""
        for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
        [ -z "$alive" ] && break
        sleep 0.1
    done
    for p in $pids; do kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null; done
    : > "$d/pids"
    return 0
}

case "${1:-}" in
start) [ $# -eq 2 ] || die "usage: $0 start DIR"; start "$2" ;;
stop)  [ $# -eq 2 ] || die "usage: $0 stop DIR"; stop "$2" ;;
*) die "usage: $0 start DIR | stop DIR" ;;
esac
