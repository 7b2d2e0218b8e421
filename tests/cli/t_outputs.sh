# flowsim — the outputs of a run: results.csv (tidy, plain CSV, the issue's
# metrics), manifest.json (parses; trace sha256, size and decode counts;
# every pipeline's full parameter set with defaults; seeds), timeseries.csv
# (consistent with the export and memory metrics) and the records files
# (consistent with the truth for unsampled NetFlow).
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
set -u
TR=$ROOT/traces/real/ndpi_gnutella_full.pcap   # IPv4, IPv6, ICMP, ARP, one truncated frame
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3   # pyenv shims are slow to start
command -v "$PY" >/dev/null || { echo "FAIL: python3 is needed by this test"; exit 1; }
"$FLOWSIM" run "$TR" -m netflow -m 'sampled-netflow:rate=1/10,filter="tcp or udp",key_bidir=yes' \
    -m 'netflow:export=ipfix,entries=2k,inactive=5s' --seeds 2 --bin-rows all \
    --truth-cache off --out o -q
sha=$(sha256sum "$TR" | cut -d' ' -f1)
size=$(stat -c %s "$TR")
"$FLOWSIM" algorithms netflow > alg_netflow.txt
"$FLOWSIM" algorithms sampled-netflow > alg_sampled.txt
"$FLOWSIM" metrics > metrics.txt
$PY -m json.tool o/manifest.json > /dev/null || { echo "FAIL: manifest.json does not parse"; exit 1; }

ingit=no; git -C "$ROOT" rev-parse HEAD > /dev/null 2>&1 && ingit=yes
$PY - "$TR" "$sha" "$size" "$ingit" <<'EOF'
import csv, json, re, sys
from collections import defaultdict
trace, sha, size, ingit = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == 'yes'
errors = []
def bad(msg):
    errors.append(msg)

# ---- results.csv ----------------------------------------------------------------
HEADER = "pipeline,algorithm,params,replicate,seed,bin,aggregate,key,metric,value,estimand"
# the estimand column: empty (truths, diagnostics, counters) or the declaration
# of the quantity the row estimates or scores (flowsim metrics)
estpat = re.compile(r'^(|unbiased|na|(biased|unbiased-if):[a-z0-9+-]+)$')
ESTIMATES = re.compile(r'^(est_(bytes|packets|flows|tcp_arrivals|tcp_arrivals_m2)(_se)?|rel_err_.*|wmre_.*|are_.*|topk_.*)$')
lines = open('o/results.csv').read().split('\n')
if lines[-1] != '':
    bad("results.csv does not end with a newline")
lines = lines[:-1]
if lines[0] != HEADER:
    bad(f"results.csv header is {lines[0]!r}")
num = re.compile(r'^(-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|nan|-?inf)$')
seen = set()
val = {}
for i, l in enumerate(lines[1:], 2):
    if '"' in l:
        bad(f"results.csv line {i} has a double quote: {l}"); break
    f = l.split(',')
    if len(f) != 11:
        bad(f"results.csv line {i} has {len(f)} fields: {l}"); break
    p, alg, par, rep, seed, b, agg, key, met, v, est = f
    if not estpat.match(est) or bool(est) != bool(ESTIMATES.match(met)):
        bad(f"results.csv line {i}: estimand {est!r} for metric {met}"); break
    if not re.match(r'^p[0-9]+$', p) or not rep.isdigit() or not seed.isdigit() or \
       not (b == 'all' or re.match(r'^-?[0-9]+$', b)) or not num.match(v) or not met:
        bad(f"results.csv line {i} malformed: {l}"); break
    k = (p, rep, b, agg, key, met)
    if k in seen:
        bad(f"results.csv line {i}: a second row for {k}"); break
    seen.add(k)
    val[k] = v
pipes = sorted({k[0] for k in seen})
if pipes != ['p0', 'p1', 'p2']:
    bad(f"pipelines in results.csv: {pipes}")
# the metrics the issue requires, for every pipeline and replicate, bin all, total
REQUIRED = "mem_peak_entries mem_mean_entries mem_peak_bytes export_records export_bytes " \
           "export_peak_bytes_per_s true_bytes est_bytes true_packets est_packets true_flows est_flows".split()
for p in pipes:
    for rep in ('0', '1'):
        for m in REQUIRED:
            if (p, rep, 'all', 'total', 'all', m) not in val:
                bad(f"results.csv: no row {p} replicate {rep} bin all total {m}")
# every metric name is documented by `flowsim metrics`
doc = [l.split()[0] for l in open('metrics.txt') if l.strip()]
pats = [re.compile('^' + re.escape(d).replace(re.escape('<fmt>'), '(v5|v9|ipfix)')
                   .replace(re.escape('*'), '[a-z0-9_]+') + '$') for d in doc]
for m in sorted({k[5] for k in seen}):
    if not any(pt.match(m) for pt in pats):
        bad(f"results.csv metric {m} is not listed by flowsim metrics")
# other aggregates are there with --bin-rows all
for agg in ('flow', 'dport', 'src_prefix', 'dst_prefix', 'proto', 'total'):
    if not any(k[3] == agg and k[2] != 'all' for k in seen):
        bad(f"results.csv: no per-bin rows of aggregate {agg} with --bin-rows all")
def g(p, m, rep='0'):
    return float(val[(p, rep, 'all', 'total', 'all', m)])
# plain consistencies
for p in pipes:
    if g(p, 'mem_peak_bytes') != g(p, 'mem_peak_entries') * 64:
        bad(f"{p}: mem_peak_bytes != mem_peak_entries x 64")
    if not 0 < g(p, 'mem_mean_entries') <= g(p, 'mem_peak_entries'):
        bad(f"{p}: mem_mean_entries {g(p, 'mem_mean_entries')} not in (0, peak]")
if g('p0', 'est_bytes') != g('p0', 'true_bytes') or g('p0', 'est_packets') != g('p0', 'true_packets'):
    bad("p0 (unsampled netflow): est != true bytes/packets")

# ---- manifest.json --------------------------------------------------------------
m = json.load(open('o/manifest.json'))
if m.get('status') != 'complete':
    bad(f"manifest status {m.get('status')!r}")
for k in ('tool', 'version', 'git_commit', 'command_line', 'traces', 'run', 'pipelines', 'ground_truth'):
    if k not in m:
        bad(f"manifest has no {k}")
if ingit and not re.match(r'^[0-9a-f]{7,40}(-dirty)?$', str(m.get('git_commit'))):
    bad(f"manifest git_commit {m.get('git_commit')!r} in a git checkout")
if not m.get('version'):
    bad("manifest has no version")
t = m['traces'][0] if m.get('traces') else {}
if t.get('sha256') != sha:
    bad(f"manifest sha256 {t.get('sha256')} != sha256sum {sha}")
if t.get('size_bytes') != size:
    bad(f"manifest size_bytes {t.get('size_bytes')} != {size}")
if t.get('path') != trace:
    bad(f"manifest trace path {t.get('path')}")
# decode counts: as the traces README documents them for gnutella
d = t.get('decode', {})
for k, want in (('ok', 7468), ('not_ip', 22), ('truncated_link', 1), ('truncated_ip', 0),
                ('unsupported_link', 0)):
    if d.get(k) != want:
        bad(f"manifest decode {k} = {d.get(k)}, expected {want}")
if t.get('frames') != 7491 or sum(v for k, v in d.items() if k != 'ts_backwards') != 7491:
    bad(f"manifest frames {t.get('frames')} / decode sum {sum(d.values())}, expected 7491")
if m.get('packets') != 7468 or g('p0', 'true_packets') != 7468:
    bad(f"manifest packets {m.get('packets')}, true_packets {g('p0', 'true_packets')}, expected 7468")
if m.get('command_line', [None])[0] != 'run' or trace not in m.get('command_line', []):
    bad(f"manifest command_line {m.get('command_line')}")
run = m.get('run', {})
for k, want in (('seeds', '2'), ('bin_rows', 'all'), ('truth_cache', 'off'), ('out', 'o')):
    if run.get(k, {}).get('value') != want:
        bad(f"manifest run.{k} = {run.get(k)}, expected value {want}")
for k in ('bin', 'seed', 'topk', 'prefix4', 'prefix6'):
    if 'value' not in run.get(k, {}) or 'default' not in run.get(k, {}):
        bad(f"manifest run.{k} lacks value/default")

# the parameter tables as `flowsim algorithms NAME` lists them: (name, default)
def listing(path):
    algo, common, part = {}, {}, None
    for l in open(path):
        if l.startswith('  parameters:'):
            part = algo
        elif l.startswith('parameters every pipeline has'):
            part = common
        mm = re.match(r'^    ([a-z0-9_]+) +default (\S+)', l)
        if mm and part is not None:
            part[mm.group(1)] = '' if mm.group(2) == '""' else mm.group(2)
    return algo, common
tables = {'netflow': listing('alg_netflow.txt'), 'sampled-netflow': listing('alg_sampled.txt')}
given = [{}, {'rate': '1/10', 'filter': 'tcp or udp', 'key_bidir': 'yes'},
         {'export': 'ipfix', 'inactive': '5s', 'entries': '2000'}]
pl = m.get('pipelines', [])
if [p.get('pipeline') for p in pl] != ['p0', 'p1', 'p2']:
    bad(f"manifest pipelines {[p.get('pipeline') for p in pl]}")
for i, p in enumerate(pl[:3]):
    a, c = tables[p['algorithm']]
    if not a or not c:
        bad(f"could not read the parameter listing of {p['algorithm']}"); continue
    for part, want in (('params', a), ('common', c)):
        got = p.get(part, {})
        if sorted(got) != sorted(want):
            bad(f"p{i} manifest {part} names {sorted(got)} != listing {sorted(want)}")
        for name, dflt in want.items():
            e = got.get(name, {})
            if e.get('default') != dflt:
                bad(f"p{i} {part}.{name} default {e.get('default')!r} != listing {dflt!r}")
            v = given[i].get(name)
            if e.get('value') != (dflt if v is None else v):
                bad(f"p{i} {part}.{name} value {e.get('value')!r}, expected {v or dflt!r}"
                    f" ({'given' if v else 'the default'})")
    want_entries = '2000' if i == 2 else '65536'
    if p['params'].get('entries', {}).get('value') != want_entries:
        bad(f"p{i} entries {p['params'].get('entries')}, expected value {want_entries}")
    seeds = p.get('seeds', [])
    if len(seeds) != 2 or len(set(seeds)) != 2:
        bad(f"p{i} manifest seeds {seeds}, expected 2 different")
csv_seeds = defaultdict(set)
for r in csv.DictReader(open('o/results.csv')):
    csv_seeds[r['pipeline']].add((int(r['replicate']), r['seed']))
for i, p in enumerate(pl[:3]):
    if csv_seeds[f'p{i}'] != {(j, s) for j, s in enumerate(p.get('seeds', []))}:
        bad(f"p{i}: results.csv (replicate, seed) {sorted(csv_seeds[f'p{i}'])} != manifest seeds {p.get('seeds')}")
# results.csv params column = the non-default parameters, name=value;name=value
pcol = {r['pipeline']: r['params'] for r in csv.DictReader(open('o/results.csv'))}
for i, want in enumerate(given):
    got = dict(x.split('=', 1) for x in pcol.get(f'p{i}', '').split(';') if x)
    for k, v in want.items():
        if got.get(k) != v:
            bad(f"p{i} params column {pcol.get(f'p{i}')!r} lacks {k}={v}")

# ---- timeseries.csv ---------------------------------------------------------------
tl = open('o/timeseries.csv').read().split('\n')
if tl[0] != "pipeline,replicate,second,entries_mean,entries_max,export_records,export_datagrams,export_bytes":
    bad(f"timeseries.csv header {tl[0]!r}")
sums = defaultdict(lambda: [0, 0, 0, 0])
for l in tl[1:]:
    if not l:
        continue
    f = l.split(',')
    if len(f) != 8:
        bad(f"timeseries.csv line of {len(f)} fields: {l}"); break
    s = sums[(f[0], f[1])]
    s[0] += int(f[7]); s[1] += int(f[5]); s[2] += int(f[6]); s[3] = max(s[3], int(f[4]))
if sorted(sums) != [('p0', '0'), ('p1', '0'), ('p2', '0')]:
    bad(f"timeseries.csv has (pipeline, replicate) {sorted(sums)}, expected replicate 0 of p0 p1 p2")
for (p, r), s in sorted(sums.items()):
    for j, mname in enumerate(('export_bytes', 'export_records', 'export_datagrams', 'mem_peak_entries')):
        if s[j] != g(p, mname):
            bad(f"{p}: timeseries {mname} {s[j]} != results.csv {g(p, mname)}")
if g('p2', 'export_bytes') != g('p2', 'export_bytes_ipfix') or g('p0', 'export_bytes') != g('p0', 'export_bytes_v5'):
    bad("export_bytes is not the bytes of the pipeline's export format")

# ---- records ------------------------------------------------------------------------
for p in ('p0', 'p1', 'p2'):
    rows = list(csv.reader(open(f'o/records/{p}_r0.csv')))
    h = rows[0]
    if h[:12] != 'exported first last src dst proto sport dport tos vlan packets bytes'.split():
        bad(f"records/{p}_r0.csv header {h}"); continue
    if any(len(r) != len(h) for r in rows[1:]):
        bad(f"records/{p}_r0.csv: a line with another number of fields than the header")
    if len(rows) - 1 != g(p, 'export_records'):
        bad(f"records/{p}_r0.csv has {len(rows) - 1} records, export_records {g(p, 'export_records')}")
    for r in rows[1:]:
        if not (float(r[1]) <= float(r[2]) <= float(r[0])):
            bad(f"records/{p}_r0.csv: not first <= last <= exported: {r[:3]}"); break
rows = list(csv.DictReader(open('o/records/p0_r0.csv')))
pk = sum(int(r['packets']) for r in rows)
by = sum(float(r['bytes']) for r in rows)
if pk != g('p0', 'true_packets') or by != g('p0', 'true_bytes'):
    bad(f"p0 records sum to {pk} packets / {by} bytes, truth {g('p0', 'true_packets')} / {g('p0', 'true_bytes')}")
import os
if os.path.exists('o/records/p0_r1.csv'):
    bad("records of replicate 1 written with --records first")

if errors:
    for e in errors[:15]:
        print("FAIL:", e)
    sys.exit(1)
print(f"ok outputs: {len(lines) - 1} result rows, manifest, time series and records consistent")
EOF
