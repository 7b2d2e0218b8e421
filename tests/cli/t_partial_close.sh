# flowsim — bins closed in part (run option partial_close, sim/eval.h).
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
#
# What the code does (sim/eval.c close_part, fs_eval_close_part): a bin that
# has ended while meter entries can still add to it keeps only the keys the
# meter lists (fs_algo.pending_keys); every other key is compared at once.
# With partial_close=1 (close whenever the open keys are no more than the
# bin's) the results must be those of keeping every bin whole (0), up
# to the order of floating-point sums: every row matches to a relative 1e-9
# (a sum of n doubles reordered moves by at most about n x 2^-53 relative,
# below 1e-11 for the few thousand keys of a bin here). It must also have
# happened (bins_closed_in_part > 0 for the meters that list keys) and no
# meter may add to a key it did not list (late_contributions = 0).
set -u
fail=0
bad() { echo "FAIL: $*"; fail=1; }
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
cat > cmp.py <<'PYEOF'
import math, sys
def load(p):
    d = {}
    with open(p) as f:
        f.readline()
        for line in f:
            k, v, est = line.rstrip('\n').rsplit(',', 2)
            if not k.endswith(',bins_closed_in_part'):
                d[k + ',' + est] = v
    return d
a, b = load(sys.argv[1]), load(sys.argv[2])
bad = sorted(set(a) ^ set(b))[:3]
for k in sorted(set(a) & set(b)):
    x, y = a[k], b[k]
    if x == y:
        continue
    try:
        fx, fy = float(x), float(y)
    except ValueError:
        bad.append(k); continue
    if not (abs(fx - fy) <= 1e-9 * max(abs(fx), abs(fy)) + 1e-12):
        bad.append('%s: %s vs %s' % (k, x, y))
for k in bad[:5]:
    print(k)
sys.exit(1 if bad else 0)
PYEOF
sum() { awk -F, -v m="$2" '$9 == m { s += $10 } END { print s + 0 }' "$1/results.csv"; }
M=(-m netflow -m 'netflow:inactive=60s,active=10m' -m 'sampled-netflow:rate=1/4'
   -m 'netflow:apportion=last,inactive=30s' -m 'netflow:apportion=first,key_bidir=yes'
   -m 'sample-and-hold:p=1/100' -m 'flow-slices:p=1/4,t=20s' -m 'netflow|uniform:rate=1/2'
   -m 'adaptive-netflow:bin=10s' --seeds 2)
n=0
for f in ndpi_gnutella_full.pcap pcapplusplus_tls2.pcap ndpi_bittorrent_transmission.pcapng; do
    for opts in "--bin 2s --bin-rows all" "--bin 5s --bin-rows all --key-totals trace" \
                "--bin 1s --topk 3 --bin-rows none"; do
        n=$((n + 1))
        for pc in yes no; do
            frac=1; [ $pc = no ] && frac=0
            "$FLOWSIM" run "$ROOT/traces/real/$f" "${M[@]}" $opts --partial-close=$frac \
                --truth-cache off --records none --timeseries none -q --out "$pc$n" \
                || bad "$f $opts partial_close=$pc: run failed"
        done
        $PY cmp.py yes$n/results.csv no$n/results.csv > diff$n.txt \
            || bad "$f $opts: partial_close=1 differs from 0: $(head -3 diff$n.txt)"
        [ "$(sum yes$n late_contributions)" = 0 ] || bad "$f $opts: late contributions $(sum yes$n late_contributions)"
        [ "$(sum no$n late_contributions)" = 0 ] || bad "$f $opts: late contributions without partial close"
        [ "$(sum no$n bins_closed_in_part)" = 0 ] || bad "$f $opts: partial_close=0 closed bins in part"
        # every meter that lists its keys closed bins in part; ANF does not list them
        for p in p0 p1 p2 p3 p4 p5 p6 p7; do
            c=$(awk -F, -v p=$p '$1 == p && $9 == "bins_closed_in_part" { s += $10 } END { print s + 0 }' yes$n/results.csv)
            [ "$c" -gt 0 ] || bad "$f $opts: pipeline $p closed no bin in part"
        done
    done
done
# the option is in the manifest
v=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["run"]["partial_close"]["value"])' no1/manifest.json 2>&1)
[ "$v" = 0 ] || bad "partial_close in the manifest: '$v'"
exit $fail
