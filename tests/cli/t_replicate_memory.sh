# flowsim — memory per pipeline-replicate follows what the replicate holds.
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
#
# Many replicates of one pipeline run in one pass, each with its own meter
# and evaluation. The memory one more replicate costs is measured as
#   (max RSS of --seeds N  -  max RSS of --seeds 1) / (N - 1)
# (getrusage of the child, so the process's fixed part cancels out) and
# must stay under a bound made from what a replicate can hold on this trace:
# every flow of the trace live at once both in its meter and in an open
# evaluation bin, each entry at most 160 bytes (the largest entry struct,
# adaptive-netflow's, is 144) plus two 8-byte hash slots (load <= 0.5),
# doubled for tables that grow by doubling:
#   flows x 2 tables x (160 + 16) B x 2  =  flows x 704 B,
# plus 16 KiB per replicate for its fixed state (Mersenne Twister 5 KB,
# the stdio buffer of its rows 4 KB, its run state 3.5 KB, rounded up).
# On ndpi_gnutella_full.pcap (937 flows) that is 660 KB; a replicate needs
# 60 to 260 KB here. A table mapped in 2 MiB huge pages for its whole entry
# limit (the old layout: 2.3 MB per replicate whatever the trace) fails it.
#
# AddressSanitizer's shadow memory and quarantine make RSS meaningless: an
# ASan build skips the RSS part.
set -u
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
# One open file per replicate (its rows): a soft limit below the replicate
# count is raised to the hard limit, so the run goes through.
(ulimit -S -n 64 && "$FLOWSIM" run "$ROOT/traces/real/ndpi_synscan.pcap" -m 'sampled-netflow:rate=1/8' \
    --seeds 100 --records none --timeseries none --truth-cache off -q --out fd) ||
    { echo "FAIL: 100 replicates with a soft limit of 64 open files"; exit 1; }
rm -rf fd
if grep -qa __asan_init "$FLOWSIM"; then
    echo "SKIP: AddressSanitizer build (RSS is not the program's)"
    exit 0
fi
TR=$ROOT/traces/real/ndpi_gnutella_full.pcap
N=300
fail=0
bad() { echo "FAIL: $*"; fail=1; }
flows=$("$FLOWSIM" info "$TR" | awk '/^flows:/ {print $2}')
[ -n "$flows" ] && [ "$flows" -gt 0 ] || { echo "FAIL: no flow count from flowsim info"; exit 1; }
bound=$(( flows * 704 + 16384 ))
# max RSS (KiB) of one run of flowsim with these arguments
maxrss() {
    "$PY" - "$FLOWSIM" "$@" <<'PYEOF'
import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
if r.returncode:
    sys.exit('flowsim exited with status %d' % r.returncode)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PYEOF
}
for m in 'sampled-netflow:rate=1/8' flow-slices adaptive-netflow sample-and-hold; do
    args=(run "$TR" -m "$m" --records none --timeseries none --truth-cache off -q)
    one=$(maxrss "${args[@]}" --seeds 1 --out one) || { bad "$m --seeds 1 failed"; continue; }
    many=$(maxrss "${args[@]}" --seeds $N --out many) || { bad "$m --seeds $N failed"; continue; }
    per=$(( (many - one) * 1024 / (N - 1) ))
    echo "$m: max RSS $one KiB (1 replicate), $many KiB ($N): $per B per replicate, bound $bound B"
    [ "$per" -le "$bound" ] || bad "$m: $per B per replicate > $bound B"
    [ "$(grep -c ',mem_peak_entries,' many/results.csv)" -eq $N ] || bad "$m: not $N replicates in results.csv"
    rm -rf one many
done
exit $fail
