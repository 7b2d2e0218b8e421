# flowsim — export to a real collector: nfdump's nfcapd on loopback receives
# a run's records as NetFlow v9 and as IPFIX over UDP (IPv4 and IPv6
# loopback), nfdump reads them back, and every flow (5-tuple, ToS, packets,
# bytes, first and last time to the millisecond) matches the records flowsim
# wrote (records/p0_r0.csv), with no sequence failure (nothing lost, nothing
# out of order). Traces: pcapplusplus_tls2 (60% IPv6) and the IPv4 Philips
# Hue capture (21.9 h, default timeouts: thousands of records, hundreds of
# datagrams, paced).
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
set -u
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3   # pyenv shims are slow to start
for c in nfcapd nfdump "$PY"; do
    command -v "$c" > /dev/null || { echo "FAIL: $c is needed (Debian package nfdump / python3)"; exit 1; }
done
fail=0
bad() { echo "FAIL: $*"; fail=1; }

free_port() {   # a UDP port free on address $1 now
    "$PY" -c 'import socket, sys
a = sys.argv[1]
s = socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_DGRAM)
s.bind((a, 0)); print(s.getsockname()[1])' "$1"
}

NPIDS=""
cleanup() { for p in $NPIDS; do kill "$p" 2> /dev/null || true; done; }
trap cleanup EXIT

# start_nfcapd NAME ADDR PORT: flows into $T/NAME.d (nothing else there: nfdump
# -R reads every file in it), log in $T/NAME.log
start_nfcapd() {
    mkdir -p "$T/$1.d"
    nfcapd -b "$2" -p "$3" -w "$T/$1.d" -t 86400 -B 8388608 > "$T/$1.log" 2>&1 &
    eval "PID_$1=$!"
    NPIDS="$NPIDS $!"
    for _ in $(seq 100); do
        grep -q "Startup" "$T/$1.log" 2> /dev/null && return 0
        sleep 0.05
    done
    echo "FAIL: nfcapd $1 did not start:"; cat "$T/$1.log"; exit 1
}

stop_nfcapd() {
    local p; eval "p=\$PID_$1"
    kill -TERM "$p"; wait "$p" 2> /dev/null || true
}

# check NAME RUNDIR WANT_V6: nfdump's flows against flowsim's records
check() {
    local name=$1 run=$2 want6=$3
    nfdump -R "$T/$name.d" -I > "$T/$name.info" 2>&1 || { bad "$name: nfdump -I failed"; cat "$T/$name.info"; return; }
    grep -q '^Sequence failures: 0$' "$T/$name.info" ||
        bad "$name: nfcapd counted sequence failures: $(grep -i sequence "$T/$name.info")"
    TZ=UTC nfdump -6 -R "$T/$name.d" -q -N \
        -o "fmt:%ts|%te|%pr|%sa|%sp|%da|%dp|%tos|%pkt|%byt" > "$T/$name.flows" ||
        { bad "$name: nfdump failed"; return; }
    "$PY" - "$T/$name.flows" "$run/records/p0_r0.csv" "$name" "$want6" <<'EOF' || fail=1
import csv, sys, calendar, time
from collections import Counter
flows, recs, name, want6 = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == 'yes'
def ms_of(s):            # '2021-01-05 06:55:36.669' (UTC) -> ms since the epoch
    d, frac = s.strip().split('.')
    return calendar.timegm(time.strptime(d, '%Y-%m-%d %H:%M:%S')) * 1000 + int(frac)
def port(p, proto):      # nfdump prints ICMP's type.code
    p = p.strip()
    if '.' in p:
        a, b = p.split('.')
        return int(a) * 256 + int(b)
    return int(p)
got = Counter()
for line in open(flows):
    f = line.rstrip('\n').split('|')
    if len(f) != 10:
        continue
    ts, te, pr, sa, sp, da, dp, tos, pk, by = f
    pr = int(pr)
    got[(sa.strip(), int(sp), da.strip(), port(dp, pr), pr, int(tos), int(pk), int(by),
         ms_of(ts), ms_of(te))] += 1
def ms_ns(t):            # 'S.NNNNNNNNN' -> ms, rounded down
    s, n = t.split('.')
    return int(s) * 1000 + int(n) // 1000000
want = Counter()
v6 = 0
for r in csv.DictReader(open(recs)):
    pr = int(r['proto'])
    b = float(r['bytes'])
    want[(r['src'], int(r['sport']), r['dst'], int(r['dport']), pr, int(r['tos']),
          int(r['packets']), int(b), ms_ns(r['first']), ms_ns(r['last']))] += 1
    v6 += ':' in r['src']
n_want, n_got = sum(want.values()), sum(got.values())
if n_want == 0:
    print(f"FAIL: {name}: flowsim wrote no records"); sys.exit(1)
if want6 and v6 == 0:
    print(f"FAIL: {name}: no IPv6 record in the run"); sys.exit(1)
miss, extra = want - got, got - want
if miss or extra:
    print(f"FAIL: {name}: flowsim {n_want} records, nfdump {n_got} flows; "
          f"{sum(miss.values())} missing, {sum(extra.values())} unexpected")
    for k in list(miss)[:5]:
        print("  missing   ", k)
    for k in list(extra)[:5]:
        print("  unexpected", k)
    sys.exit(1)
print(f"{name}: {n_got} flows ({v6} IPv6) match flowsim's records")
EOF
}

# 1. tls2 (IPv4 and IPv6 flows): v9 to nfcapd on 127.0.0.1, IPFIX to [::1];
#    no timeouts: one record per flow, all sent at the end of the trace
TR=$ROOT/traces/real/pcapplusplus_tls2.pcap
P1=$(free_port 127.0.0.1); P2=$(free_port ::1)
start_nfcapd tls_v9 127.0.0.1 "$P1"
start_nfcapd tls_ipfix ::1 "$P2"
"$FLOWSIM" run "$TR" -m 'netflow:inactive=inf,active=inf' --export "v9:udp://127.0.0.1:$P1" \
    --export "ipfix:udp://[::1]:$P2" --truth-cache off --out tls -q || bad "flowsim run (tls2) failed"
stop_nfcapd tls_v9; stop_nfcapd tls_ipfix
check tls_v9 tls yes
check tls_ipfix tls yes

# 2. Philips Hue (IPv4), default timeouts: records sent through the trace in
#    simulated time; v9 to [::1], IPFIX to 127.0.0.1
TR=$ROOT/traces/real/iot23_honeypot4-1_philips_hue.pcap
P1=$(free_port ::1); P2=$(free_port 127.0.0.1)
start_nfcapd hue_v9 ::1 "$P1"
start_nfcapd hue_ipfix 127.0.0.1 "$P2"
"$FLOWSIM" run "$TR" -m netflow --export "v9:udp://[::1]:$P1" \
    --export "ipfix:udp://127.0.0.1:$P2" --truth-cache off --out hue -q || bad "flowsim run (hue) failed"
stop_nfcapd hue_v9; stop_nfcapd hue_ipfix
check hue_v9 hue no
check hue_ipfix hue no
# the datagrams nfcapd received are those the export model counted
for f in v9 ipfix; do
    m=$(grep ",all,total,all,export_datagrams_$f," hue/results.csv | cut -d, -f10)
    [ "${m:-0}" -gt 100 ] || bad "hue: only ${m:-0} $f datagrams (expected hundreds, to exercise pacing)"
done
exit $fail
