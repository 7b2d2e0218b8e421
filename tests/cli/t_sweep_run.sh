# flowsim — sweeps run locally: the same sweep twice, with -j 1 and -j 2
# and with one pass per point gives byte-identical tables; a point's rows
# are those of the equivalent flowsim run; summary.csv against a hand
# computation from results.csv; a finished sweep rerun computes nothing;
# the passes follow the memory rule; the parameter columns; the progress bar.
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
set -u
export FLOWSIM_CACHE=$T/cache
TR=$ROOT/traces/real/ndpi_synscan.pcap
TR2=$ROOT/traces/real/ndpi_bittorrent_transmission.pcapng
fail=0
bad() { echo "FAIL: $*"; fail=1; }

cat > s.ini <<EOF
; a small sweep: 2 traces, 3 + 6 points per trace, 5 replicates
[sweep]
name       = small
traces     = $TR, $TR2
replicates = 5
seed       = 3
bin        = 10s

[netflow]
entries  = 100, 1k .. 10k log 2

[sampled]
algorithm = sampled-netflow
rate      = 1/2 .. 1/8 mul 2
mode      = random, systematic
EOF

run() { "$FLOWSIM" sweep s.ini --progress no "$@" > "run.out" 2> "run.err"; }

# 1. -j 1, -j 2, one pass per point (tiny memory limit): identical tables
run -j 1 --out a || { bad "sweep -j 1 failed: $(cat run.err)"; exit 1; }
run -j 2 --out b || bad "sweep -j 2 failed: $(cat run.err)"
run -j 2 --mem-limit 1Mi --out c || bad "sweep --mem-limit 1Mi failed: $(cat run.err)"
grep -q "18 passes" run.out || bad "--mem-limit 1Mi: expected one pass per point: $(cat run.out)"
for f in results.csv summary.csv timeseries.csv points.csv; do
    [ -s "a/$f" ] || { bad "a/$f missing or empty"; continue; }
    cmp -s a/$f b/$f || bad "$f differs between -j 1 and -j 2"
    cmp -s a/$f c/$f || bad "$f differs between one pass per trace and one pass per point"
done
[ "$(ls a/manifests | wc -l)" -eq 2 ] || bad "-j 1: expected 2 pass manifests (one per trace), got $(ls a/manifests | wc -l)"
[ "$(ls c/manifests | wc -l)" -eq 18 ] || bad "one pass per point: expected 18 manifests"
[ -z "$(ls a/work)" ] || bad "work directories left behind: $(ls a/work)"

# 2. the same sweep again, into a fresh directory and into the finished one
run -j 2 --out d
cmp -s a/results.csv d/results.csv || bad "results.csv differs between two identical sweeps"
cp a/results.csv a.before
run -j 2 --out a
grep -q "all 18 points already computed" run.out || bad "rerun of a finished sweep: $(cat run.out)"
cmp -s a.before a/results.csv || bad "results.csv changed on a rerun"

# 3. the header: run's columns, then point, section, trace, the parameters and
# last the run's estimand column
h=$(head -n 1 a/results.csv)
[ "$h" = "pipeline,algorithm,params,replicate,seed,bin,aggregate,key,metric,value,point,section,trace,entries,rate,mode,estimand" ] ||
    bad "results.csv header: $h"
# one row per (point, replicate) of the total est_bytes, 18 points x 5 replicates
n=$(awk -F, '$6 == "all" && $7 == "total" && $9 == "est_bytes"' a/results.csv | wc -l)
[ "$n" -eq 90 ] || bad "expected 90 whole-trace est_bytes rows, got $n"
# parameter columns: rate as a decimal, mode, entries filled with the default
row=$(awk -F, '$12 == "sampled" && $15 == 0.125 && $16 == "systematic" && $13 ~ /pcapng$/' a/results.csv | head -n 1)
[ -n "$row" ] || bad "no row for rate=0.125, mode=systematic on the pcapng trace"
echo "$row" | grep -q '^p[0-9]*,sampled-netflow,rate=1/8;mode=systematic,' || bad "row of rate 0.125: $row"
[ "$(echo "$row" | cut -d, -f14)" = 65536 ] || bad "entries column of a sampled point: $row"
[ "$(awk -F, '$12 == "netflow"' a/results.csv | cut -d, -f15 | sort -u)" = "" ] ||
    bad "netflow points have a rate"
[ "$(awk -F, 'NR > 1 && $12 == "netflow"' a/results.csv | cut -d, -f14 | sort -un | tr '\n' ' ')" = "100 1000 10000 " ] ||
    bad "netflow entries column"

# 4. a point's rows are the rows of the equivalent flowsim run
p=$(awk -F, 'NR > 1 && $13 ~ /pcapng$/ && $15 == 0.25 && $16 == "random" { print $11; exit }' a/results.csv)
"$FLOWSIM" run "$TR2" -m 'sampled-netflow:rate=1/4' --seeds 5 --seed 3 --bin 10s --records none \
    -q --out r >/dev/null 2>&1 || bad "flowsim run failed"
cmp -s <(tail -n +2 r/results.csv | cut -d, -f2-) <(awk -F, -v OFS=, -v p="$p" '$11 == p { print $2, $3, $4, $5, $6, $7, $8, $9, $10, $17 }' a/results.csv) ||
    bad "point $p differs from flowsim run -m sampled-netflow:rate=1/4 --seeds 5 --seed 3"

# 5. summary.csv by hand: mean, sample sd and t(0.975, 4) x sd / sqrt(5)
awk -F, -v p="$p" '$11 == p && $6 == "all" && $7 == "total" && $9 == "est_packets" { print $10 }' a/results.csv > x
[ "$(wc -l < x)" -eq 5 ] || bad "expected 5 replicates of est_packets"
want=$(awk '{ s += $1; v[NR] = $1 } END { m = s / NR; for (i = 1; i <= NR; i++) q += (v[i] - m) ^ 2;
             sd = sqrt(q / (NR - 1)); ci = 2.7764451051977987 * sd / sqrt(NR);
             printf "%d %.10g %.10g %.10g %.10g %.10g", NR, m, sd, ci, m - ci, m + ci }' x)
got=$(awk -F, -v p="$p" '$1 == "p" p && $4 == "total" && $5 == "all" && $6 == "est_packets" {
             printf "%d %.10g %.10g %.10g %.10g %.10g", $7, $8, $9, $10, $11, $12 }' a/summary.csv)
[ -n "$got" ] && [ "$want" = "$got" ] || bad "summary of est_packets: got '$got', by hand '$want'"
grep -q ',all,est_packets,5,' a/summary.csv || bad "summary rows lack n = 5"
[ "$(head -n 1 a/summary.csv)" = "pipeline,algorithm,params,aggregate,key,metric,n,mean,sd,ci95,ci95_lo,ci95_hi,point,section,trace,entries,rate,mode,estimand" ] ||
    bad "summary.csv header: $(head -n 1 a/summary.csv)"
# the estimand column follows the rows: sampled NetFlow's active flows are
# its sampled flows (biased by design), its bytes unbiased for the whole
# trace and apportioned per bin (binning), truths carry none
[ "$(awk -F, '$2 == "sampled-netflow" && $6 == "est_flows" { print $NF }' a/summary.csv | sort -u)" = "biased:sampled-flows" ] ||
    bad "summary.csv: est_flows of sampled-netflow is not marked biased:sampled-flows"
[ "$(awk -F, '$2 == "sampled-netflow" && $9 == "est_bytes" && $6 == "all" { print $NF }' a/results.csv | sort -u)" = "unbiased" ] ||
    bad "results.csv: est_bytes of sampled-netflow is not marked unbiased at bin all"
[ "$(awk -F, '$2 == "sampled-netflow" && $9 == "est_bytes" && $6 != "all" { print $NF }' a/results.csv | sort -u)" = "unbiased-if:records-within-bins" ] ||
    bad "results.csv: per-bin est_bytes of sampled-netflow is not marked unbiased-if:records-within-bins"
[ "$(awk -F, 'NR > 1 && $9 == "true_bytes" { print $NF }' a/results.csv | sort -u)" = "" ] ||
    bad "results.csv: true_bytes rows carry an estimand"
# the unsampled netflow has no spread: sd 0 and ci 0
awk -F, '$12 == "netflow" && $6 == "true_bytes" && ($9 != 0 || $10 != 0)' a/summary.csv | grep -q . &&
    bad "true_bytes has a spread"

# 6. the manifest names every point's pass manifest, which exists
/usr/bin/python3 - <<'EOF' || fail=1
import json, os
m = json.load(open('a/manifest.json'))
assert m['status'] == 'complete', m['status']
assert len(m['points']) == 18
for p in m['points']:
    assert os.path.exists('a/' + p['manifest']), p
    pm = json.load(open('a/' + p['manifest']))
    assert pm['status'] == 'complete' and pm['traces'][0]['path'].endswith(p['trace']), pm['traces']
    assert any(q['algorithm'] == p['algorithm'] for q in pm['pipelines']), p
assert sum(len(json.load(open('a/' + f))['pipelines']) for f in m['pass_manifests']) == 18
assert all(t['sha256'] for t in m['traces']), m['traces']
assert m['run']['seeds'] == '5' and m['run']['seed'] == '3'
EOF

# 7. the passes: by default one per trace with -j 1; more to fill -j cores
"$FLOWSIM" sweep s.ini --dry-run -j 1 --out z > dry1
grep -q "^sweep small: 18 points (18 to compute), 2 traces, 2 passes" dry1 || bad "dry run -j 1: $(head -n 1 dry1)"
"$FLOWSIM" sweep s.ini --dry-run -j 4 --out z > dry4
grep -q ", 4 passes" dry4 || bad "dry run -j 4: $(head -n 1 dry4)"
# 64 MiB per pass + 9 points x 5 x (2 x 65536 x 64 + 1 MiB) > 300 MiB: split
"$FLOWSIM" sweep s.ini --dry-run -j 1 --mem-limit 300Mi --out z > drym
[ "$(grep -c '^pass ' drym)" -gt 2 ] || bad "--mem-limit 300Mi did not split the passes: $(grep '^pass' drym)"
awk '/^pass / { sub(/.*~/, ""); if ($1 + 0 > 300) exit 1 }' drym || bad "a pass above 300 MiB: $(grep '^pass' drym)"
[ ! -e z ] || bad "--dry-run created the output directory"

# 8. the progress bar on stderr
rm -rf a/points/*; run -j 2 --out a --progress yes
grep -q "18/18 points" run.err && grep -q "done" run.err || bad "no progress bar: $(cat run.err)"

[ "$fail" -eq 0 ] && echo "ok sweep run: -j 1 = -j 2 = one pass per point, = flowsim run, summary by hand"
exit "$fail"
