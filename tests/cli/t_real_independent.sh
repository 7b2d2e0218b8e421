# flowsim — on every real capture (traces/real, and the small third-party
# captures of encapsulations in tests/captures), netflow with timeouts longer than the trace
# reports exactly the per-5-tuple totals that an independent counter (tshark)
# reports. Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
#
# Conventions flowsim uses, which the tshark side below follows:
#   - bytes = IP total length (IPv4 ip.len; IPv6 40 + payload length);
#   - ports 0 for protocols without ports and for non-first fragments
#     (IPv4 fragment offset > 0, IPv6 fragment header offset > 0);
#   - ICMP / ICMPv6: sport 0, dport = type*256 + code;
#   - IPv6: the protocol is the upper-layer one after the extension headers
#     (hop-by-hop, routing, destination options, fragment, AH);
#   - TCP, UDP, UDP-Lite and SCTP carry ports.
# tshark quirks handled here:
#   - fields are printed with -E occurrence=f (first occurrence = the outer
#     header). gnutella has 7 ICMP "unreachable" messages quoting an inner
#     IP+TCP/UDP header: tshark prints the inner tcp/udp ports too, so ports
#     are taken from the field of the outer protocol only (ICMP -> type/code).
#   - which of ip/ipv6 is the outer header (tunnels) is read from the order in
#     frame.protocols, not from which field is non-empty.
#   - tshark reassembly of IP fragments is switched off, so every fragment is
#     a packet of its own as in flowsim (no fragments in these traces today).
#   - gnutella frame 1 has 4 captured bytes and no IP fields: lines without an
#     IP header are skipped (flowsim counts it as truncated_link).
#   - gnutella's 16 MLD reports carry an IPv6 hop-by-hop header: ipv6.nxt is
#     0 there and the protocol is taken from ipv6.hopopts.nxt (58).
set -u
REAL=$ROOT/traces/real
command -v tshark >/dev/null || { echo "FAIL: tshark not installed (apt-get install tshark)"; exit 1; }

declare -A EXPECT=(
    [iot23_honeypot4-1_philips_hue.pcap]=874
    [ndpi_bittorrent_transmission.pcapng]=1421
    [ndpi_gnutella_full.pcap]=937
    [ndpi_synscan.pcap]=2002
    [pcapplusplus_tls2.pcap]=665
    [tcpdump_mpls-traceroute.pcap]=12
    [tcpdump_lspping-fec-ldp.pcap]=4
)
fail=0
n=0
for f in "$REAL"/*.pcap "$REAL"/*.pcapng "$ROOT"/tests/captures/*.pcap; do
    b=$(basename "$f")
    exp=${EXPECT[$b]:-}
    if [ -z "$exp" ]; then echo "FAIL: $b: no expected flow count in this test"; fail=1; continue; fi
    n=$((n + 1))
    rm -rf o
    if ! "$FLOWSIM" run "$f" -m 'netflow:inactive=inf,active=inf,finrst=no,key_tos=no' \
            --bin inf --truth-cache off --out o -q; then
        echo "FAIL: $b: flowsim run exited non-zero"; fail=1; continue
    fi
    # flowsim side: src,dst,proto,sport,dport,packets,bytes summed per 5-tuple
    tail -n +2 o/records/p0_r0.csv | awk -F, '
        { k = $4 "," $5 "," $6 "," $7 "," $8; p[k] += $11; b[k] += $12; n++ }
        END { for (k in p) printf "%s,%.0f,%.0f\n", k, p[k], b[k] }' | LC_ALL=C sort > fs.txt
    nrec=$(($(wc -l < o/records/p0_r0.csv) - 1))

    # tshark side
    tshark -n -r "$f" -o ip.defragment:FALSE -o ipv6.defragment:FALSE \
        -T fields -E separator=, -E occurrence=f \
        -e frame.protocols \
        -e ip.src -e ipv6.src -e ip.dst -e ipv6.dst \
        -e ip.proto -e ipv6.nxt -e ipv6.hopopts.nxt -e ipv6.routing.nxt \
        -e ipv6.fraghdr.nxt -e ipv6.dstopts.nxt \
        -e ip.len -e ipv6.plen -e ip.frag_offset -e ipv6.fraghdr.offset \
        -e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport \
        -e sctp.srcport -e sctp.dstport \
        -e icmp.type -e icmp.code -e icmpv6.type -e icmpv6.code \
        -e ah.next_header 2>/dev/null > ts.raw
    awk -F, '
    function ext(x) { return x == 0 || x == 43 || x == 44 || x == 51 || x == 60 ||
                             x == 135 || x == 139 || x == 140 || x == 253 || x == 254 }
    {
        # outer network layer: the first "ip" or "ipv6" in frame.protocols
        np = split($1, pr, ":"); v = 0
        for (i = 1; i <= np; i++) if (pr[i] == "ip" || pr[i] == "ipv6") { v = pr[i]; break }
        if (v == "ip") {
            if ($2 == "") next
            src = $2; dst = $4; proto = $6 + 0; len = $12 + 0; later = ($14 + 0) > 0
        } else if (v == "ipv6") {
            if ($3 == "") next
            src = $3; dst = $5; len = 40 + $13; later = ($15 + 0) > 0
            proto = -1
            for (i = 7; i <= 11; i++) if ($i != "" && !ext($i + 0)) { proto = $i + 0; break }
            if (proto < 0 && $26 != "" && !ext($26 + 0)) proto = $26 + 0
            if (proto < 0) proto = 59
        } else next
        sp = 0; dp = 0
        if (!later) {
            if (proto == 6)                      { sp = $16; dp = $17 }
            else if (proto == 17 || proto == 136) { sp = $18; dp = $19 }
            else if (proto == 132)               { sp = $20; dp = $21 }
            else if (proto == 1)                 { dp = $22 * 256 + $23 }
            else if (proto == 58)                { dp = $24 * 256 + $25 }
        }
        k = src "," dst "," proto "," (sp + 0) "," (dp + 0)
        p[k]++; b[k] += len; tp++; tb += len
    }
    END {
        for (k in p) printf "%s,%.0f,%.0f\n", k, p[k], b[k]
        printf "TOTAL %.0f %.0f\n", tp, tb > "ts.total"
    }' ts.raw | LC_ALL=C sort > ts.txt

    nts=$(wc -l < ts.txt)
    nfs=$(wc -l < fs.txt)
    if [ "$nrec" -ne "$exp" ]; then
        echo "FAIL: $b: $nrec records, README says $exp uni-flows"; fail=1
    fi
    if [ "$nfs" -ne "$nrec" ]; then
        echo "FAIL: $b: $nrec records but $nfs distinct 5-tuples (a flow split in several records)"; fail=1
    fi
    if [ "$nts" -ne "$exp" ]; then
        echo "FAIL: $b: tshark counts $nts 5-tuples, README says $exp"; fail=1
    fi
    if ! diff fs.txt ts.txt > d.txt; then
        echo "FAIL: $b: per-5-tuple packets/bytes differ (< flowsim, > tshark), first lines:"
        head -n 8 d.txt; fail=1
    fi
    # totals against flowsim info
    "$FLOWSIM" info "$f" > info.txt
    ip=$(awk '$1 == "packets:" {print $2}' info.txt)
    ib=$(awk '$1 == "bytes_ip:" {print $2}' info.txt)
    read -r _ tp tb < ts.total
    if [ "$ip" != "$tp" ] || [ "$ib" != "$tb" ]; then
        echo "FAIL: $b: info says packets=$ip bytes_ip=$ib, tshark $tp / $tb"; fail=1
    fi
    fp=$(awk -F, '{s += $6} END {print s + 0}' fs.txt)
    fb=$(awk -F, '{s += $7} END {print s + 0}' fs.txt)
    if [ "$fp" != "$tp" ] || [ "$fb" != "$tb" ]; then
        echo "FAIL: $b: records sum to packets=$fp bytes=$fb, tshark $tp / $tb"; fail=1
    fi
    echo "ok $b: $nrec flows, $tp packets, $tb bytes"
done
[ "$n" -eq 7 ] || { echo "FAIL: expected 7 real captures, found $n"; fail=1; }
exit "$fail"
