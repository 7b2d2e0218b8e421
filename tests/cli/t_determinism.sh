# flowsim — determinism: the same command and seed gives byte-identical
# outputs, also when other pipelines are added to the run; another seed
# changes what a random sampler does; --seeds N gives N distinct seeds.
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
set -u
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3   # pyenv shims are slow to start
TR=$ROOT/traces/real/ndpi_gnutella_full.pcap
fail=0
bad() { echo "FAIL: $*"; fail=1; }
SAMP='sampled-netflow:rate=1/10'
run() { local out=$1; shift; rm -rf "$out"; "$FLOWSIM" run "$TR" "$@" --truth-cache off --out "$out" -q; }
body() { tail -n +2 "$1"; }   # without the header line

# 1. the same command twice: byte-identical results, records and time series
run a -m netflow -m "$SAMP" --records all
run b -m netflow -m "$SAMP" --records all
for f in results.csv timeseries.csv records/p0_r0.csv records/p1_r0.csv; do
    [ -s "a/$f" ] || { bad "a/$f missing or empty"; continue; }
    cmp -s "a/$f" "b/$f" || bad "$f differs between two identical runs"
done
[ "$(grep -c '^p1,' a/results.csv)" -gt 50 ] || bad "too few p1 rows in results.csv"

# 2. a pipeline added after the first leaves the first one's rows identical
run c -m netflow
run d -m netflow -m "$SAMP"
[ "$(body c/results.csv | grep -vc '^p0,' || true)" -eq 0 ] || bad "run c has rows of another pipeline than p0"
cmp -s <(grep '^p0,' c/results.csv) <(grep '^p0,' d/results.csv) ||
    bad "netflow rows change when '$SAMP' is added after it"
cmp -s c/records/p0_r0.csv d/records/p0_r0.csv || bad "netflow records change when a pipeline is added"

# the sampled pipeline alone (p0) and after netflow (p1): the same rows and
# records (its seed follows from its parameters, not its position)
run e -m "$SAMP"
cmp -s <(body e/results.csv) <(grep '^p1,' d/results.csv | sed 's/^p1,/p0,/') ||
    bad "'$SAMP' rows differ between alone (p0) and after netflow (p1)"
cmp -s e/records/p0_r0.csv d/records/p1_r0.csv || bad "'$SAMP' records differ alone vs. after netflow"

# 3. a different --seed changes the sampled pipeline's results, not netflow's values
run f -m netflow -m "$SAMP" --seed 2
cmp -s <(grep '^p1,' d/results.csv) <(grep '^p1,' f/results.csv) &&
    bad "--seed 2 gives the same sampled-netflow rows as --seed 1"
est() { grep -E "^$2,.*,all,total,all,$3," "$1/results.csv" | cut -d, -f10; }
e1=$(est d p1 est_packets); e2=$(est f p1 est_packets)
[ -n "$e1" ] && [ "$e1" != "$e2" ] || bad "--seed 1 and 2 give the same est_packets ($e1, $e2)"
s1=$(grep -m1 '^p1,' d/results.csv | cut -d, -f5); s2=$(grep -m1 '^p1,' f/results.csv | cut -d, -f5)
[ "$s1" != "$s2" ] || bad "--seed 2 has the same replicate seed $s1 as --seed 1"
# unsampled netflow: only the seed column may change
cmp -s <(grep '^p0,' d/results.csv | cut -d, -f1-4,6-) <(grep '^p0,' f/results.csv | cut -d, -f1-4,6-) ||
    bad "--seed changes the values of unsampled netflow"

# 4. --seeds 3: three replicates with three different seeds; replicate 0 is
# the single-seed run
run g -m "$SAMP" --seeds 3
n=$(body g/results.csv | cut -d, -f4,5 | sort -u | wc -l)
ns=$(body g/results.csv | cut -d, -f5 | sort -u | wc -l)
nr=$(body g/results.csv | cut -d, -f4 | sort -u | tr '\n' ' ')
[ "$n" -eq 3 ] && [ "$ns" -eq 3 ] && [ "$nr" = "0 1 2 " ] ||
    bad "--seeds 3: $ns distinct seeds, replicates '$nr', $n (replicate, seed) pairs; expected 3 / 0 1 2"
cmp -s <(awk -F, '$4 == 0' g/results.csv) <(body e/results.csv) ||
    bad "--seeds 3: replicate 0 differs from the --seeds 1 run"
ne=$(grep -E ',all,total,all,est_packets,' g/results.csv | cut -d, -f10 | sort -u | wc -l)
[ "$ne" -ge 2 ] || bad "--seeds 3: all replicates give the same est_packets"
$PY - <<'EOF' || fail=1
import json, csv
m = json.load(open('g/manifest.json'))
seeds = m['pipelines'][0]['seeds']
rows = {(r['replicate'], r['seed']) for r in csv.DictReader(open('g/results.csv'))}
want = {(str(i), s) for i, s in enumerate(seeds)}
if len(set(seeds)) != 3 or rows != want:
    print(f"FAIL: --seeds 3: manifest seeds {seeds} do not match results.csv {sorted(rows)}")
    raise SystemExit(1)
EOF
[ "$fail" -eq 0 ] && echo "ok determinism: identical reruns, pipelines independent, seeds $s1 / $s2, 3 replicates"
exit "$fail"
