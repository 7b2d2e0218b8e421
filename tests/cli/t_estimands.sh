# flowsim — every estimate carries its estimand: on every real capture, each
# algorithm with its defaults, the summary table prints no number for an
# estimate that results.csv declares biased by design (it shows [TAG]
# instead), marks an estimate unbiased only under a condition with '*', and
# shows true_multi_syn_flows (mSYN) next to the arrival estimates; every
# unmarked number of the unsampled NetFlow is an exact 0.
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
set -u
PY=/usr/bin/python3
fail=0
bad() { echo "FAIL: $*"; fail=1; }
specs=()
while read -r a; do specs+=(-m "$a"); done < <("$FLOWSIM" algorithms | awk '/^[a-z]/ && !/:/ { print $1 }' |
    grep -E '^(netflow|sampled-netflow|adaptive-netflow|sample-and-hold|flow-slices)$')
[ "${#specs[@]}" -eq 10 ] || bad "expected 5 algorithms from flowsim algorithms, got: ${specs[*]}"
n=0
for f in "$ROOT"/traces/real/*.pcap "$ROOT"/traces/real/*.pcapng; do
    n=$((n + 1))
    "$FLOWSIM" run "$f" "${specs[@]}" --seeds 2 --truth-cache off --records none \
        --timeseries none --progress no --out "o$n" > "sum$n.txt" 2> "err$n.txt" ||
        { bad "$(basename "$f"): run failed: $(cat "err$n.txt")"; continue; }
    $PY - "o$n/results.csv" "sum$n.txt" "$(basename "$f")" <<'EOF' || fail=1
import re, sys
res, summ, name = sys.argv[1:4]
est, val = {}, {}
for l in open(res).read().split('\n')[1:]:
    f = l.split(',')
    if len(f) != 11 or f[5] != 'all' or f[6] != 'total' or f[3] != '0':
        continue
    est[(f[0], f[8])] = f[10]
    val[(f[0], f[8])] = f[9]
cols = ['est_bytes', 'est_packets', 'est_flows', 'est_tcp_arrivals']
cell = r'(\[[a-z0-9+-]+\]|n/a|[-+][0-9.]+ ± [0-9.]+\*?)'
row = re.compile(r'^(p[0-9]+) +(\S+) +([0-9]+) +' + r' +'.join([cell] * 4) + r' +([0-9]+) ')
errs, seen = [], 0
lines = open(summ).read().split('\n')
for l in lines:
    if not re.match(r'^p[0-9]+ ', l):
        continue
    m = row.match(l)
    if not m:
        errs.append('summary line not understood: ' + l); continue
    seen += 1
    p = m.group(1)
    for i, c in enumerate(cols):
        e, t = est.get((p, c), '?'), m.group(4 + i)
        if e.startswith('biased:'):
            ok = t == '[' + e[7:] + ']'
        elif e.startswith('unbiased-if:'):
            ok = t.endswith('*')
        elif e == 'unbiased':
            ok = t[0] in '+-' and not t.endswith('*')
        else:
            ok = e == 'na' and t == 'n/a'
        if not ok:
            errs.append(f'{p} {m.group(2)} {c}: estimand {e!r} shown as {t!r}')
        if m.group(2) == 'netflow' and e == 'unbiased' and t not in ('+0.000 ± 0.000', '-0.000 ± 0.000'):  # split apportioning rounds
            errs.append(f'{p} netflow {c}: {t}, not exact')
    if m.group(8) != val.get((p, 'true_multi_syn_flows')):
        errs.append(f'{p}: mSYN {m.group(8)} against true_multi_syn_flows {val.get((p, "true_multi_syn_flows"))}')
if seen != 5:
    errs.append(f'{seen} pipeline lines in the summary')
if any(e.startswith('biased:') for e in est.values()) and not any(l.startswith('[tag]:') for l in lines):
    errs.append('no legend for [tag]')
for e in errs[:10]:
    print(f'FAIL: {name}: {e}')
sys.exit(1 if errs else 0)
EOF
done
[ "$n" -eq 5 ] || bad "expected the 5 real captures, ran $n"
exit $fail
