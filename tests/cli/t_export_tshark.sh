# flowsim — the v5, v9 and IPFIX files of --export decoded by an independent
# decoder, Wireshark's (tshark, through PDML): the datagrams are wrapped in
# UDP packets of a pcap, and every flow tshark decodes (addresses, ports,
# protocol, ToS, packets, bytes, first and last time to the millisecond from
# the header's uptime and export time or the absolute IPFIX times) must be
# a record of records/p0_r0.csv, each record exactly once (v5: the IPv4 ones);
# tshark must report no malformed packet; a sampled pipeline's sampling
# interval reaches the v5 header and the v9/IPFIX options records.
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
set -u
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3   # pyenv shims are slow to start
command -v tshark > /dev/null || { echo "FAIL: tshark is needed"; exit 1; }
TR=$ROOT/traces/real/ndpi_gnutella_full.pcap   # IPv4, IPv6, ICMP, ICMPv6, IGMP
fail=0
"$FLOWSIM" run "$TR" -m netflow --export v5:file:p0.v5 --export v9:file:p0.v9 \
    --export ipfix:file:p0.ipfix -m 'sampled-netflow:rate=1/10,mode=systematic' \
    --export v5:file:p1.v5 --export v9:file:p1.v9 --export ipfix:file:p1.ipfix \
    --truth-cache off --out o -q 2> /dev/null || { echo "FAIL: run failed"; exit 1; }

# wrap FILE FORMAT OUT.pcap: the datagrams, back to back in the file, as UDP
# packets to port 2055 (tshark's NetFlow port) / 4739 (IPFIX)
wrap() {
    "$PY" - "$1" "$2" <<'EOF'
import struct, sys
src, dst = sys.argv[1], sys.argv[2]
b = open(src, 'rb').read()
dg, o = [], 0
while o < len(b):
    ver = struct.unpack_from('>H', b, o)[0]
    if ver == 5:
        n = 24 + 48 * struct.unpack_from('>H', b, o + 2)[0]
    elif ver == 10:
        n = struct.unpack_from('>H', b, o + 2)[0]
    elif ver == 9:          # no length in v9: walk the flowsets to the next header
        n = 20
        while o + n + 4 <= len(b):
            fid, fl = struct.unpack_from('>HH', b, o + n)
            if fid == 9 or fl < 4:
                break
            n += fl
    else:
        sys.exit(f"{src}: version {ver} at byte {o}")
    dg.append(b[o:o + n]); o += n
port = 4739 if src.endswith('ipfix') else 2055
def csum(h):
    s = sum(struct.unpack('>10H', h)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
with open(dst, 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, d in enumerate(dg):
        udp = struct.pack('>HHHH', 40000, port, 8 + len(d), 0) + d
        ip = struct.pack('>BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), i & 0xffff, 0, 64, 17, 0,
                         bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
        ip = ip[:10] + struct.pack('>H', csum(ip)) + ip[12:]
        fr = b'\0' * 12 + b'\x08\x00' + ip + udp
        f.write(struct.pack('<IIII', i, 0, len(fr), len(fr)) + fr)
EOF
}

for p in p0 p1; do
    for f in v5 v9 ipfix; do
        wrap "$p.$f" "$p.$f.pcap" || { echo "FAIL: cannot split $p.$f"; fail=1; continue; }
        tshark -n -r "$p.$f.pcap" -T pdml > "$p.$f.pdml" 2> "$p.$f.err" || { echo "FAIL: tshark on $p.$f"; fail=1; }
    done
done
"$PY" - <<'EOF' || fail=1
import csv, sys
import xml.etree.ElementTree as ET
from collections import Counter
bad = []
def recs(p):
    out = Counter()
    for r in csv.DictReader(open(f'o/records/{p}_r0.csv')):
        def ms(t):
            s, n = t.split('.'); return int(s) * 1000 + int(n) // 1000000
        out[(r['src'], r['dst'], int(r['sport']), int(r['dport']), int(r['proto']), int(r['tos']),
             int(r['packets']), int(float(r['bytes']) + 0.5), ms(r['first']), ms(r['last']))] += 1
    return out
def hexint(e):
    return int(e.get('value'), 16)
def flows(path, fmt):
    got, intervals = Counter(), set()
    for pkt in ET.parse(path).getroot().iter('packet'):
        if any(f.get('name') == '_ws.malformed' or f.get('name') == '_ws.expert' and
               'alformed' in (f.get('showname') or '') for f in pkt.iter('field')):
            bad.append(f"{path}: tshark reports a malformed packet")
        hdr = {f.get('name'): f for f in pkt.iter('field') if f.get('name', '').startswith('cflow.')}
        up = hexint(hdr['cflow.sysuptime']) if 'cflow.sysuptime' in hdr else 0
        secs = hexint(hdr['cflow.unix_secs']) if 'cflow.unix_secs' in hdr else 0
        nsecs = hexint(hdr['cflow.unix_nsecs']) if 'cflow.unix_nsecs' in hdr else 0
        boot = secs * 1000 + nsecs // 1000000 - up      # a collector's arithmetic
        if fmt == 'v5':
            intervals.add(int(hdr['cflow.samplerate'].get('show')) or 1)
        for e in pkt.iter('field'):
            if e.get('name') == 'cflow.sampling_interval' and fmt != 'v5':
                intervals.add(int(e.get('show')))
            # a record: "Flow N" (v9, IPFIX) or "pdu N/M" (v5)
            if e.get('name') != '' or not (e.get('show') or '').startswith(('Flow ', 'pdu ')):
                continue
            v = {}
            for c in e.iter('field'):
                v.setdefault(c.get('name'), c)
            if 'cflow.packets' not in v:
                continue    # the sampling options record
            def show(*names):
                for n in names:
                    if n in v:
                        return v[n].get('show')
                raise KeyError(names)
            if 'cflow.abstimestart' in v:
                first, last = hexint(v['cflow.abstimestart']), hexint(v['cflow.abstimeend'])
            else:
                first, last = boot + hexint(v['cflow.timestart']), boot + hexint(v['cflow.timeend'])
            got[(show('cflow.srcaddr', 'cflow.srcaddrv6'), show('cflow.dstaddr', 'cflow.dstaddrv6'),
                 int(show('cflow.srcport')), int(show('cflow.dstport')), int(show('cflow.protocol')),
                 int(show('cflow.tos'), 16), hexint(v['cflow.packets']), hexint(v['cflow.octets']),
                 first, last)] += 1
    return got, intervals
for p, interval in (('p0', 1), ('p1', 10)):
    want = recs(p)
    want4 = Counter({k: n for k, n in want.items() if ':' not in k[0]})
    for fmt in ('v5', 'v9', 'ipfix'):
        got, iv = flows(f'{p}.{fmt}.pdml', fmt)
        w = want4 if fmt == 'v5' else want
        if got != w:
            miss, extra = w - got, got - w
            bad.append(f"{p}.{fmt}: tshark decoded {sum(got.values())} flows, flowsim wrote "
                       f"{sum(w.values())}; missing e.g. {list(miss)[:2]}, unexpected e.g. {list(extra)[:2]}")
        if (iv or {1}) != {interval}:   # no options record: not sampled
            bad.append(f"{p}.{fmt}: sampling intervals {sorted(iv)}, expected {interval}")
        if fmt != 'v5' and p == 'p0' and not any(':' in k[0] for k in got):
            bad.append(f"{p}.{fmt}: no IPv6 flow decoded")
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
EOF
exit $fail
