# flowsim — seeds use all 64 bits, and --replicate-seed reruns one replicate.
#  1. the manifest names the generator and its seeding rule;
#  2. master seeds: --seed S and S+2^32 differ; 2^53 and 2^53+1 differ (a
#     seed is read exactly, not through a double); 2^64-1 is accepted;
#  3. replicate seeds S and S+2^32 give different results (the Mersenne
#     Twister the generator replaces kept only the low 32 bits: identical);
#  4. flowsim gen: seeds 85078 and 177926, which the former 32-bit folding
#     of the generator's seed mapped to one stream, give different traces;
#  5. --replicate-seed SEED reruns replicate K of pipeline pN of a run with
#     several pipelines and seeds: results rows, records and time series
#     byte-identical to that replicate's, but for the pipeline and replicate
#     columns, which number the rerun's own (p0, 0);
#  6. --replicate-seed with --seeds > 1, with two -m or with a bad value:
#     one line, exit status 1.
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
set -u
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
TR=$ROOT/traces/real/ndpi_gnutella_full.pcap
fail=0
bad() { echo "FAIL: $*"; fail=1; }
run() { local out=$1; shift; rm -rf "$out"; "$FLOWSIM" run "$TR" "$@" --truth-cache off --out "$out" -q; }
body() { tail -n +2 "$1"; }
SAMP='sampled-netflow:rate=1/10'
vals() { body "$1/results.csv" | cut -d, -f1-4,6-; }   # every column but the seed

# 1. the generator in the manifest
run a -m "$SAMP"
grep -qF '"rng": "xoshiro256** seeded by splitmix64 of the replicate seed"' a/manifest.json ||
    bad "manifest.json does not name the generator"

# 2. master seeds
S=7; S2=$((S + (1 << 32)))
run m1 -m "$SAMP" --seed $S
run m2 -m "$SAMP" --seed $S2
cmp -s <(vals m1) <(vals m2) && bad "--seed $S and --seed $S2 give the same values"
run m3 -m "$SAMP" --seed 9007199254740992
run m4 -m "$SAMP" --seed 9007199254740993
cmp -s <(vals m3) <(vals m4) && bad "--seed 2^53 and 2^53+1 give the same values"
grep -A1 '"seed": {' m4/manifest.json | grep -qF '"9007199254740993"' ||
    bad "manifest does not hold --seed 9007199254740993 exactly"
run m5 -m "$SAMP" --seed 18446744073709551615 || bad "--seed 2^64-1 refused"

# 3. replicate seeds that differ only in their upper 32 bits
R1=123456789; R2=$((R1 + (3 << 32)))
run r1 -m "$SAMP" --replicate-seed $R1
run r2 -m "$SAMP" --replicate-seed $R2
[ "$(body r1/results.csv | cut -d, -f5 | sort -u)" = "$R1" ] || bad "--replicate-seed $R1: seed column is not $R1"
[ "$(body r2/results.csv | cut -d, -f5 | sort -u)" = "$R2" ] || bad "--replicate-seed $R2: seed column is not $R2"
est() { grep -E "^p0,.*,all,total,all,$2," "$1/results.csv" | cut -d, -f10; }
e1=$(est r1 est_packets); e2=$(est r2 est_packets)
[ -n "$e1" ] && [ "$e1" != "$e2" ] ||
    bad "replicate seeds $R1 and $R2 (equal low 32 bits) give the same est_packets ($e1, $e2)"
cmp -s <(vals r1) <(vals r2) && bad "replicate seeds $R1 and $R2 give the same values"

# 4. flowsim gen
"$FLOWSIM" gen --profile tiny --seed 85078 -o g1.pcap > /dev/null || bad "gen --seed 85078 failed"
"$FLOWSIM" gen --profile tiny --seed 177926 -o g2.pcap > /dev/null || bad "gen --seed 177926 failed"
cmp -s g1.pcap g2.pcap && bad "gen: seeds 85078 and 177926 give the same trace"
grep -qF '"rng": "xoshiro256** seeded by splitmix64 of the seed"' g1.pcap.json ||
    bad "gen sidecar does not name the generator"

# 5. --replicate-seed reproduces every replicate of a multi-pipeline, multi-seed run
P=("$SAMP" 'netflow:psamp=hash,psamp_rate=0.3,ts_jitter=2ms|uniform:rate=1/2'
   'sample-and-hold:p=1/500,inactive=15s' 'flow-slices')
margs=(); for p in "${P[@]}"; do margs+=(-m "$p"); done
run full "${margs[@]}" --seeds 3 --records all --timeseries all
n=0
for i in 0 1 2 3; do
    for k in 0 1 2; do
        s=$(awk -F, -v p="p$i" -v k="$k" '$1 == p && $4 == k { print $5; exit }' full/results.csv)
        [ -n "$s" ] || { bad "no rows of p$i replicate $k"; continue; }
        run one -m "${P[$i]}" --replicate-seed "$s" --records all --timeseries all ||
            { bad "--replicate-seed $s failed"; continue; }
        # results: the rows of pN replicate K, with pipeline p0 and replicate 0
        cmp -s <(awk -F, -v OFS=, -v p="p$i" -v k="$k" '$1 == p && $4 == k { $1 = "p0"; $4 = 0; print }' \
                     full/results.csv) <(body one/results.csv) ||
            bad "p$i replicate $k (seed $s): results rows differ from the --replicate-seed run"
        cmp -s "full/records/p${i}_r$k.csv" one/records/p0_r0.csv ||
            bad "p$i replicate $k (seed $s): records differ"
        cmp -s <(awk -F, -v OFS=, -v p="p$i" -v k="$k" '$1 == p && $2 == k { $1 = "p0"; $2 = 0; print }' \
                     full/timeseries.csv) <(body one/timeseries.csv) ||
            bad "p$i replicate $k (seed $s): time series differ"
        [ "$(body one/results.csv | wc -l)" -gt 20 ] || bad "p$i replicate $k: too few rows"
        $PY - "$s" <<'PYEOF' || bad "p$i replicate $k: manifest of the rerun"
import json, sys
m = json.load(open('one/manifest.json'))
s = sys.argv[1]
ok = (m['run']['replicate_seed']['value'] == s and m['pipelines'][0]['seeds'] == [s]
      and len(m['pipelines']) == 1)
if not ok:
    print("manifest:", m['run']['replicate_seed'], m['pipelines'][0]['seeds'])
sys.exit(0 if ok else 1)
PYEOF
        n=$((n + 1))
    done
done
[ "$n" -eq 12 ] || bad "reproduced $n of 12 replicates"
# the rerun's rows differ between replicates (the comparison can fail)
cmp -s <(awk -F, '$1 == "p0" && $4 == 0' full/results.csv | cut -d, -f6-) \
       <(awk -F, '$1 == "p0" && $4 == 1' full/results.csv | cut -d, -f6-) &&
    bad "replicates 0 and 1 of $SAMP have the same values"

# 6. bad uses: one line, exit status 1, nothing run
t() {   # EXPECTED-TEXT ARGS...
    local want=$1 rc=0; shift
    "$FLOWSIM" run "$TR" "$@" --truth-cache off --out bad -q > out.txt 2> err.txt || rc=$?
    [ "$rc" -eq 1 ] && [ "$(wc -l < err.txt)" -eq 1 ] && grep -qF -- "$want" err.txt ||
        bad "flowsim run $*: exit $rc, '$(cat err.txt)' (expected '$want')"
    [ ! -e bad/results.csv ] || bad "flowsim run $*: wrote results"
}
t "cannot go with --seeds 2" -m "$SAMP" --replicate-seed 5 --seeds 2
t "give one -m, not 2" -m "$SAMP" -m netflow --replicate-seed 5
t "option --replicate-seed: 'abc' is not a seed" -m "$SAMP" --replicate-seed abc
t "option --replicate-seed: '1e5' is not a seed" -m "$SAMP" --replicate-seed 1e5
t "option --replicate-seed: '-1' is not a seed" -m "$SAMP" --replicate-seed -1
t "larger than 2^64-1" -m "$SAMP" --replicate-seed 18446744073709551616
t "option --seed" -m "$SAMP" --seed 18446744073709551616

[ "$fail" -eq 0 ] && echo "ok seeds: 64-bit master, replicate and gen seeds; $n replicates rerun byte-identically"
exit "$fail"
