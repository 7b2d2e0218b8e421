# flowsim gen — `flowsim info` on a generated trace agrees with the sidecar
# on every count both report: packets, IP and wire bytes, distinct
# unidirectional flows in total and by protocol, IPv4/IPv6 packets, first
# and last timestamp. Run on a trace with every feature (both IP versions,
# all protocols, reverse flows, SYN retransmissions, flood, scan, elephant,
# flows in progress at the start), in nanoseconds and in microseconds.
# Skips (exit 0, with a message) only while `flowsim info` does not exist.
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
set -u
fail=0
bad() { echo "FAIL: $*"; fail=1; }

if "$FLOWSIM" info 2>&1 | grep -q "unknown command"; then
    echo "SKIP: flowsim info is not implemented yet"
    exit 0
fi

all="duration=4s,warmup=2s,flow_rate=800,ipv6_frac=0.3,tcp_frac=0.7,udp_frac=0.2"
all="$all,tcp_reverse_frac=0.5,syn_retx_prob=0.05,size_law=mixture"
all="$all,flood_start=1s,flood_duration=1s,flood_rate=3000"
all="$all,scan_start=500ms,scan_duration=2s,scan_rate=300"
all="$all,elephant_start=1s,elephant_duration=2s,elephant_rate=500"
all="$all,src_prefixes=300,dst_prefixes=50,dst_ports=20"

for variant in "" "--usec"; do
    "$FLOWSIM" gen -p "$all" --seed 9 $variant -o t.pcap > /dev/null || { bad "gen $variant failed"; continue; }
    "$FLOWSIM" info t.pcap > info.txt || { bad "info $variant failed"; continue; }
    for k in packets bytes_ip bytes_wire flows flows_tcp flows_udp flows_icmp flows_other \
             ipv4_packets ipv6_packets first_ts_ns last_ts_ns; do
        want=$(grep -o "\"$k\": [0-9]*" t.pcap.json | head -n 1 | awk '{print $2}')
        got=$(grep "^$k: " info.txt | awk '{print $2}')
        [ -n "$want" ] || { bad "$variant: sidecar lacks $k"; continue; }
        [ -n "$got" ] || { bad "$variant: info lacks $k"; continue; }
        [ "$want" = "$got" ] || bad "$variant: $k: sidecar $want, info $got"
    done
    # the trace really has everything
    for k in flows_tcp flows_udp flows_icmp ipv6_packets flood_packets scan_packets elephant_packets; do
        v=$(grep -o "\"$k\": [0-9]*" t.pcap.json | awk '{print $2}')
        [ "${v:-0}" -gt 0 ] || bad "$variant: $k is 0"
    done
done
exit $fail
