# flowsim — the observation stage (filter, snaplen, psamp, ts_res) and the
# bidirectional flow key, against counts made independently with tshark.
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
#
# Two Ethernet traces: gnutella (IPv4 with and without options, IPv6 with a
# hop-by-hop header, ICMP errors quoting TCP/UDP, UDP, TCP) and tls2 (IPv4
# and IPv6 TCP, 4 timestamps going backwards). For snaplen S the meter loses a
# packet when its IP header (with IPv4 options / IPv6 extension headers) ends
# after byte S of the frame, and reads its ports as 0 when they end after S
# (ICMP: type and code, 2 bytes). tshark fields are taken at their first
# occurrence (the outer header: ICMP errors quote an inner IP header).
set -u
command -v tshark >/dev/null || { echo "FAIL: tshark not installed (apt-get install tshark)"; exit 1; }
REAL=$ROOT/traces/real
fail=0
bad() { echo "FAIL: $*"; fail=1; }

for name in ndpi_gnutella_full.pcap pcapplusplus_tls2.pcap; do
    TR=$REAL/$name
    rm -rf o
    "$FLOWSIM" run "$TR" --bin inf --truth-cache off --out o -q \
        -m 'netflow:filter=tcp' \
        -m 'netflow:snaplen=34' \
        -m 'netflow:snaplen=54' \
        -m 'netflow:psamp=systematic,psamp_rate=1/10' \
        -m 'netflow:ts_res=1s' \
        -m 'netflow:key_bidir=yes,key_tos=no,inactive=inf,active=inf,finrst=no'
    g() { grep -E "^$1,[^,]*,[^,]*,0,[^,]*,all,$2,$3," o/results.csv | cut -d, -f10; }
    m() { g "$1" total "all,$2"; }

    # ---- tshark: per packet outer IP version, end of the IP header, length, protocol
    tshark -n -r "$TR" -o ip.defragment:FALSE -o ipv6.defragment:FALSE \
        -T fields -E separator=, -E occurrence=f \
        -e frame.protocols -e ip.hdr_len -e ip.len -e ip.proto -e ipv6.plen \
        -e ipv6.nxt -e ipv6.hopopts.nxt -e ipv6.routing.nxt -e ipv6.fraghdr.nxt \
        -e ipv6.dstopts.nxt -e ipv6.hopopts.len -e ipv6.routing.len -e ipv6.dstopts.len \
        -e vlan.id 2>/dev/null > ts.raw
    read -r N BYTES TCPN TCPB L34 LB34 P34 L54 LB54 P54 < <(awk -F, '
    function ext(x) { return x == 0 || x == 43 || x == 44 || x == 51 || x == 60 }
    {
        np = split($1, pr, ":"); v = 0; l2 = 14
        for (i = 1; i <= np; i++) {
            if (pr[i] == "vlan") l2 += 4
            if (pr[i] == "ip" || pr[i] == "ipv6") { v = pr[i]; break }
        }
        if (v == "ip") {
            if ($2 == "") next
            l3 = l2 + $2; len = $3; proto = $4 + 0
        } else if (v == "ipv6") {
            if ($5 == "") next
            len = 40 + $5; l3 = l2 + 40; proto = -1
            for (i = 6; i <= 10; i++) if ($i != "" && !ext($i + 0)) { proto = $i + 0; break }
            # extension header lengths, in 8-byte units not counting the first
            for (i = 11; i <= 13; i++) if ($i != "") l3 += 8 * ($i + 1)
            if ($9 != "") l3 += 8
        } else next
        n++; bytes += len
        if (proto == 6) { tcpn++; tcpb += len }
        need = (proto == 6 || proto == 17 || proto == 132 || proto == 136) ? 4 : \
               (proto == 1 || proto == 58) ? 2 : 0
        if (l3 > 34) { l34++; lb34 += len } else if (need && l3 + need > 34) p34++
        if (l3 > 54) { l54++; lb54 += len } else if (need && l3 + need > 54) p54++
    }
    END { printf "%.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f %.0f\n",
                 n, bytes, tcpn, tcpb, l34, lb34, p34, l54, lb54, p54 }' ts.raw)

    tp=$(m p0 true_packets); tb=$(m p0 true_bytes)
    [ "$tp" = "$N" ] && [ "$tb" = "$BYTES" ] || bad "$name: truth $tp packets / $tb bytes, tshark $N / $BYTES"

    # ---- filter=tcp: the meter sees exactly the TCP packets; truth stays the whole trace
    e=$(m p0 est_packets); eb=$(m p0 est_bytes); f=$(m p0 obs_filtered)
    [ "$e" = "$TCPN" ] && [ "$eb" = "$TCPB" ] ||
        bad "$name filter=tcp: est_packets $e / est_bytes $eb, tshark TCP packets $TCPN / bytes $TCPB"
    [ "$f" = "$((N - TCPN))" ] || bad "$name filter=tcp: obs_filtered $f, expected $((N - TCPN))"
    pt=$(g p0 proto "tcp,true_packets")
    [ "$pt" = "$TCPN" ] || bad "$name filter=tcp: proto tcp true_packets $pt, tshark $TCPN"
    [ "$tp" = "$N" ] || bad "$name filter=tcp: true_packets $tp is not the whole trace $N"

    # ---- snaplen=34: IPv4 without options kept (ports cut), the rest lost
    ti=$(m p1 obs_truncated_ip); tl=$(m p1 obs_truncated_l4)
    e=$(m p1 est_packets); eb=$(m p1 est_bytes)
    [ "$ti" = "$L34" ] || bad "$name snaplen=34: obs_truncated_ip $ti, expected $L34 (IP header ends after byte 34)"
    [ "$tl" = "$P34" ] || bad "$name snaplen=34: obs_truncated_l4 $tl, expected $P34"
    [ "$e" = "$((N - L34))" ] && [ "$eb" = "$((BYTES - LB34))" ] ||
        bad "$name snaplen=34: est $e packets / $eb bytes, expected $((N - L34)) / $((BYTES - LB34)) (IP total length of the kept packets)"
    nz=$(tail -n +2 o/records/p1_r0.csv | awk -F, '$7 != 0 || $8 != 0' | wc -l)
    [ "$nz" -eq 0 ] || bad "$name snaplen=34: $nz records with non-zero ports"
    [ "$L34" -gt 0 ] || bad "$name: test setup: no packet loses its IP header at snaplen 34"

    # ---- snaplen=54: byte counts stay the IP total length
    ti=$(m p2 obs_truncated_ip); tl=$(m p2 obs_truncated_l4)
    e=$(m p2 est_packets); eb=$(m p2 est_bytes)
    [ "$ti" = "$L54" ] && [ "$tl" = "$P54" ] ||
        bad "$name snaplen=54: obs_truncated_ip $ti / l4 $tl, expected $L54 / $P54"
    [ "$e" = "$((N - L54))" ] && [ "$eb" = "$((BYTES - LB54))" ] ||
        bad "$name snaplen=54: est $e packets / $eb bytes, expected $((N - L54)) / $((BYTES - LB54))"
    if [ "$name" = pcapplusplus_tls2.pcap ]; then
        # no IP header ends after 54 bytes here: every byte of the truth is counted
        [ "$L54" -eq 0 ] && [ "$eb" = "$tb" ] && [ "$e" = "$tp" ] ||
            bad "$name snaplen=54: est_bytes $eb != true_bytes $tb or est_packets $e != $tp"
    fi

    # ---- psamp=systematic 1 in 10: floor or ceil of N/10 packets selected
    u=$(m p3 obs_unselected); o=$(m p3 obs_packets)
    sel=$((o - u)); lo=$((N / 10)); hi=$(((N + 9) / 10))
    [ "$o" = "$N" ] || bad "$name psamp: obs_packets $o, expected $N"
    [ "$sel" -ge "$lo" ] && [ "$sel" -le "$hi" ] ||
        bad "$name psamp=systematic,1/10: $sel packets selected, expected $lo or $hi"
    rp=$(tail -n +2 o/records/p3_r0.csv | awk -F, '{s += $11} END {print s + 0}')
    [ "$rp" = "$sel" ] || bad "$name psamp: records hold $rp packets, $sel were selected"

    # ---- ts_res=1s: nothing lost, records start and end on whole seconds
    e=$(m p4 est_packets); eb=$(m p4 est_bytes)
    [ "$e" = "$N" ] && [ "$eb" = "$BYTES" ] || bad "$name ts_res=1s: est $e packets / $eb bytes, expected $N / $BYTES"
    frac=$(tail -n +2 o/records/p4_r0.csv | awk -F, '$2 !~ /\.000000000$/ || $3 !~ /\.000000000$/' | wc -l)
    [ "$frac" -eq 0 ] || bad "$name ts_res=1s: $frac records with first/last not on a whole second"
    frac0=$(tail -n +2 o/records/p1_r0.csv | awk -F, '$2 !~ /\.000000000$/' | wc -l)
    [ "$frac0" -gt 0 ] || bad "$name: test setup: all timestamps are whole seconds anyway"

    # ---- key_bidir=yes, key_tos=no: true_flows = info's flows_bidir
    fb=$("$FLOWSIM" info "$TR" | awk '$1 == "flows_bidir:" {print $2}')
    fu=$("$FLOWSIM" info "$TR" | awk '$1 == "flows:" {print $2}')
    t=$(m p5 true_flows); e=$(m p5 est_flows)
    nrec=$(($(wc -l < o/records/p5_r0.csv) - 1))
    [ "$t" = "$fb" ] && [ "$e" = "$fb" ] && [ "$nrec" = "$fb" ] ||
        bad "$name key_bidir: true_flows $t, est_flows $e, records $nrec; info flows_bidir $fb"
    [ "$fb" -lt "$fu" ] || bad "$name: test setup: flows_bidir $fb not below flows $fu"
    # the two directions of a conversation never give two records
    dup=$(tail -n +2 o/records/p5_r0.csv | awk -F, '{a = $4 "," $7; b = $5 "," $8; k = (a < b) ? a "|" b : b "|" a; k = k "|" $6; if (seen[k]++) n++} END {print n + 0}')
    [ "$dup" -eq 0 ] || bad "$name key_bidir: $dup conversations have two records (both directions)"

    echo "ok $name: $N packets, tcp $TCPN, snaplen34 lost $L34 / ports cut $P34, snaplen54 lost $L54 / ports cut $P54, psamp $sel, bidir $fb"
done
exit "$fail"
