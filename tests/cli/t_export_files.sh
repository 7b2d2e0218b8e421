# flowsim — --export to files and stdout: the bytes of the v5, v9 and IPFIX
# files are the run's export_bytes_<fmt> (with export_l3, less 28 bytes a
# datagram), only replicate 0 sends, the CSV is the records file, the JSON
# lines carry the same records, `-` puts only the records on stdout, and
# misplaced or malformed --export options stop the run with one line.
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
set -u
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3   # pyenv shims are slow to start
TR=$ROOT/traces/real/ndpi_gnutella_full.pcap   # IPv4, IPv6, ICMP; times near the epoch
fail=0
bad() { echo "FAIL: $*"; fail=1; }
metric() {   # metric RUNDIR PIPELINE REPLICATE NAME
    grep "^$2,[^,]*,[^,]*,$3,[^,]*,all,total,all,$4," "$1/results.csv" | cut -d, -f10
}

"$FLOWSIM" run "$TR" -m netflow --export v5:file:p0.v5 --export v9:file:p0.v9 \
    --export ipfix:file:p0.ipfix --export csv:file:p0.csv --export jsonl:file:p0.jsonl \
    -m 'sampled-netflow:rate=1/10,export_l3=yes' --export v9:file:p1.v9 --export ipfix:file:p1.ipfix \
    --seeds 2 --truth-cache off --out o -q 2> err.txt || bad "run failed: $(cat err.txt)"
for f in v5 v9 ipfix; do
    [ "$(stat -c %s p0.$f)" = "$(metric o p0 0 export_bytes_$f)" ] ||
        bad "p0.$f has $(stat -c %s p0.$f) bytes, export_bytes_$f is $(metric o p0 0 export_bytes_$f)"
done
for f in v9 ipfix; do
    want=$(( $(metric o p1 0 export_bytes_$f) - 28 * $(metric o p1 0 export_datagrams_$f) ))
    [ "$(stat -c %s p1.$f)" = "$want" ] ||
        bad "p1.$f has $(stat -c %s p1.$f) bytes, export_bytes_$f less 28 per datagram is $want"
done
[ "$(metric o p1 0 export_bytes_ipfix)" != "$(metric o p1 1 export_bytes_ipfix)" ] ||
    bad "replicates 0 and 1 export the same bytes (cannot tell which one sent)"
n6=$(metric o p0 0 export_v5_ipv6_records)
[ "${n6:-0}" -gt 0 ] && grep -q "IPv6 records not sent" err.txt ||
    bad "no note of the IPv6 records v5 could not carry: $(cat err.txt)"
cmp -s p0.csv o/records/p0_r0.csv || bad "the CSV export differs from records/p0_r0.csv"
"$PY" - <<'EOF' || fail=1
import csv, json, sys
rows = list(csv.DictReader(open('o/records/p0_r0.csv')))
js = [json.loads(l) for l in open('p0.jsonl')]
if len(js) != len(rows):
    print(f"FAIL: {len(js)} JSON lines, {len(rows)} records"); sys.exit(1)
for r, j in zip(rows, js):
    for k in ('src', 'dst', 'reason'):
        if r[k] != j[k]:
            print(f"FAIL: JSON {k} {j[k]} != {r[k]}"); sys.exit(1)
    for k in ('proto', 'sport', 'dport', 'tos', 'packets', 'syn_packets', 'tcp_flags', 'bin_id'):
        if int(r[k]) != j[k]:
            print(f"FAIL: JSON {k} {j[k]} != {r[k]}"); sys.exit(1)
    for k in ('first', 'last', 'exported', 'bytes', 'weight', 'q_pkt'):
        if abs(float(r[k]) - j[k]) > 1e-6 * max(1, abs(j[k])):
            print(f"FAIL: JSON {k} {j[k]} != {r[k]}"); sys.exit(1)
EOF

# stdout carries the records only (no summary table)
"$FLOWSIM" run "$TR" -m netflow --export jsonl:- --truth-cache off --out o2 > out.jsonl ||
    bad "run with --export jsonl:- failed"
[ "$(wc -l < out.jsonl)" = "$(($(wc -l < o2/records/p0_r0.csv) - 1))" ] ||
    bad "stdout has $(wc -l < out.jsonl) lines for $(($(wc -l < o2/records/p0_r0.csv) - 1)) records"
grep -qv '^{' out.jsonl && bad "stdout holds something else than JSON lines"
"$FLOWSIM" run "$TR" -m netflow --export ipfix:- --truth-cache off --out o3 > out.ipfix
[ "$(stat -c %s out.ipfix)" = "$(metric o3 p0 0 export_bytes_ipfix)" ] || bad "ipfix on stdout: wrong size"

# errors: one line, exit status 1 (bad parameters) or 2 (output)
expect() {   # expect STATUS PATTERN ARGS...
    local st=$1 pat=$2; shift 2
    local got=0
    "$FLOWSIM" run "$TR" "$@" --truth-cache off --out oe -q > /dev/null 2> e.txt || got=$?
    [ "$got" = "$st" ] || bad "$* : exit $got, expected $st ($(cat e.txt))"
    [ "$(wc -l < e.txt)" = 1 ] && grep -q -- "$pat" e.txt || bad "$* : message '$(cat e.txt)', expected '$pat'"
}
expect 1 "before any -m" --export ipfix:file:x.ipfix -m netflow
expect 1 "unknown format 'netflow9'" -m netflow --export netflow9:file:x
expect 1 "expected udp://HOST:PORT" -m netflow --export v9:udp://::1:2055
expect 1 "bad UDP port" -m netflow --export v9:udp://127.0.0.1:99999
expect 1 "goes to a file or stdout" -m netflow --export csv:udp://127.0.0.1:9
expect 1 "only one --export may write to stdout" -m netflow --export csv:- --export jsonl:-
expect 2 "nodir/x.ipfix" -m netflow --export ipfix:file:nodir/x.ipfix
"$FLOWSIM" run --help | grep -q -- "--export FORMAT:DEST" || bad "--help does not describe --export"
exit $fail
