# flowsim — the Slurm backend against a real single-node Slurm: slurmctld and
# slurmd from Debian's packages (installed here when missing, as root),
# started in a temporary directory with AuthType=auth/none
# (tests/slurm/slurm-local.sh). flowsim sweep --slurm writes and submits a
# job array, one task per pass; --collect merges; the tables must be those of
# a local sweep, byte for byte. Slurm's own exit status is not trusted: the
# outputs are checked. If Slurm cannot be installed or started, the test
# fails and says why.
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
set -u
export FLOWSIM_CACHE=$T/cache
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# 1. Slurm: installed, else installed now
missing=""
for c in slurmctld slurmd sbatch squeue sinfo scontrol scancel; do
    command -v "$c" > /dev/null || missing="$missing $c"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "FAIL: Slurm is not installed (missing:$missing) and this test is not run as root;"
        echo "      install it: apt-get install --no-install-recommends slurmctld slurmd slurm-client"
        exit 1
    fi
    echo "installing slurmctld slurmd slurm-client (missing:$missing)"
    inst() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
                 slurmctld slurmd slurm-client > apt.log 2>&1; }
    inst || { apt-get update -qq > /dev/null 2>&1; inst; } || {
        echo "FAIL: cannot install Slurm: $(tail -n 3 apt.log)"; exit 1; }
fi
C=$T/cluster
mkdir -p "$C"
if ! env=$(bash "$ROOT/tests/slurm/slurm-local.sh" start "$C" 2> start.err); then
    echo "FAIL: the private Slurm cluster did not start:"
    sed 's/^/      /' start.err
    exit 1
fi
eval "$env"
trap 'bash "$ROOT/tests/slurm/slurm-local.sh" stop "$C"' EXIT
echo "slurm up: $(sinfo -h -o '%P %a %D %T')"

# waits for job array $1 to leave the queue (120 s at most)
wait_job() {
    local i
    for i in $(seq 1 600); do
        [ -z "$(squeue -h -j "$1" -o %i 2>/dev/null)" ] && return 0
        sleep 0.2
    done
    bad "job $1 still queued after 120 s: $(squeue -j "$1" 2>&1)"
    return 1
}

cat > s.ini <<EOF
[sweep]
name       = slurmtest
traces     = $ROOT/traces/real/ndpi_synscan.pcap, $ROOT/traces/real/ndpi_bittorrent_transmission.pcapng
replicates = 3
seed       = 11
bin        = 10s

[netflow]
entries = 100, 1k

[sampled]
algorithm = sampled-netflow
rate      = 1/2 .. 1/8 mul 2
EOF
"$FLOWSIM" sweep s.ini -j 2 --progress no --out local > local.log 2>&1 || { bad "local sweep failed: $(cat local.log)"; exit 1; }

# 2. --slurm: a job array of at least 3 tasks; the tasks' outputs, not
# Slurm's state, decide; --collect merges
"$FLOWSIM" sweep s.ini --slurm -j 3 --out sl > submit.log 2>&1 || { bad "--slurm failed: $(cat submit.log)"; exit 1; }
cat submit.log
jd=$(ls -d sl/slurm/*/ | head -n 1)
job=$(cat "$jd/jobid" 2>/dev/null)
[ -n "$job" ] || { bad "no job id in $jd"; exit 1; }
grep -q "^#SBATCH --array=0-2$" "$jd/job.sh" || bad "job script: $(grep array "$jd/job.sh")"
grep -q -- "--plan .*--shard \"\$SLURM_ARRAY_TASK_ID\"" "$jd/job.sh" || bad "job script does not run a shard"
[ "$(grep -vc '^#' "$jd/plan.txt")" -eq 3 ] || bad "plan: expected 3 tasks: $(cat "$jd/plan.txt")"
t0=$SECONDS
wait_job "$job"
echo "job array $job done in $((SECONDS - t0)) s"
for k in 0 1 2; do
    grep -q "task $k: [0-9]* points computed" "$jd/task-$k.log" 2>/dev/null ||
        bad "task $k: $(cat "$jd/task-$k.log" 2>&1)"
done
[ "$(ls sl/points | wc -l)" -eq 10 ] || bad "expected 10 points from Slurm, got $(ls sl/points | wc -l)"
"$FLOWSIM" sweep s.ini --collect --out sl > collect.log 2>&1 || bad "--collect failed: $(cat collect.log)"
for f in results.csv summary.csv timeseries.csv; do
    [ -s "sl/$f" ] && cmp -s "sl/$f" "local/$f" || bad "$f from Slurm differs from the local sweep"
done
grep -q '"status": "complete"' sl/manifest.json || bad "manifest status"

# 3. nothing left to do: no new job
"$FLOWSIM" sweep s.ini --slurm --out sl > again.log 2>&1 || bad "--slurm on a finished sweep failed"
grep -q "all 10 points already computed" again.log || bad "--slurm on a finished sweep: $(cat again.log)"
[ "$(ls -d sl/slurm/*/ | wc -l)" -eq 1 ] || bad "--slurm on a finished sweep submitted a job"

# 4. two points lost: --slurm --wait computes just those, waits and merges
ls sl/points | head -n 2 | while read -r p; do rm "sl/points/$p"; done
rm sl/results.csv
"$FLOWSIM" sweep s.ini --slurm --wait --out sl > wait.log 2>&1 || bad "--slurm --wait failed: $(cat wait.log)"
jd2=$(ls -dt sl/slurm/*/ | head -n 1)
[ "$(grep -v '^#' "$jd2/plan.txt" | wc -w)" -le 4 ] || bad "the second job recomputes more than the 2 lost points: $(cat "$jd2/plan.txt")"
cmp -s sl/results.csv local/results.csv || bad "results.csv after --slurm --wait differs from the local sweep"

[ "$fail" -eq 0 ] && echo "ok sweep slurm: job array $job, identical to the local sweep; --wait"
exit "$fail"
