# flowsim — bad input files and nonsense parameters: each gives exit status 1
# (bad parameters) or 2 (input error), never a crash (>= 128) or a sanitizer
# report, and exactly one line on stderr that names the input or parameter
# and the problem. Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
# A read error after packets were read names where the results up to the
# error are, on the same line.
set -u
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3   # pyenv shims are slow to start
REAL=$ROOT/traces/real
PCAP=$REAL/ndpi_synscan.pcap          # Ethernet, pcap, microseconds, little-endian
PCAPNG=$REAL/ndpi_bittorrent_transmission.pcapng
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# check NAME WANT_STATUS REGEX1 REGEX2 -- COMMAND...
#   runs COMMAND, wants exit status WANT_STATUS, one stderr line matching both
#   REGEX1 (what) and REGEX2 (the problem).
check() {
    local name=$1 want=$2 what=$3 problem=$4
    shift 5
    local st=0
    "$@" > out.txt 2> err.txt || st=$?
    local lines
    lines=$(wc -l < err.txt)
    if [ "$st" -ge 128 ]; then
        bad "$name: crashed (exit $st)"; head -n 5 err.txt; return
    fi
    if grep -qE 'Sanitizer|runtime error:|LeakSanitizer' err.txt; then
        bad "$name: sanitizer report"; head -n 5 err.txt; return
    fi
    if [ "$st" -ne "$want" ]; then
        bad "$name: exit status $st, expected $want"; head -n 3 err.txt
    fi
    if [ "$lines" -ne 1 ]; then
        bad "$name: $(wc -l < err.txt) lines on stderr, expected one:"; head -n 5 err.txt; return
    fi
    # a non-empty last line without newline would make wc -l count 0: covered above
    if ! grep -qF -- "$what" err.txt && ! grep -qE -- "$what" err.txt; then
        bad "$name: message does not name '$what': $(cat err.txt)"
    fi
    if ! grep -qiE -- "$problem" err.txt; then
        bad "$name: message does not say the problem (/$problem/): $(cat err.txt)"
    fi
    echo "ok $name (exit $st): $(cut -c1-110 err.txt)"
}

run() { rm -rf o; "$FLOWSIM" run "$@" --truth-cache off --out o -q; }

# ---- bad input files (exit 2) ----------------------------------------------------
: > empty.pcap
check "empty file" 2 empty.pcap 'empty' -- run empty.pcap -m netflow

head -c 7 "$PCAP" > hdr7.pcap
check "truncated global header" 2 hdr7.pcap 'truncat|short' -- run hdr7.pcap -m netflow

head -c 5000 /dev/urandom > garbage.pcap
printf 'GARBAGE!' | dd of=garbage.pcap conv=notrunc status=none  # never a valid magic
check "garbage bytes" 2 garbage.pcap 'not a pcap|magic|format' -- run garbage.pcap -m netflow

# valid pcap header, then a record header claiming 1 MiB (> snaplen 65535)
{ head -c 24 "$PCAP"; printf '\0\0\0\0\0\0\0\0\0\0\x10\0\0\0\x10\0'; head -c 64 /dev/zero; } > badrec.pcap
check "record longer than snaplen" 2 badrec.pcap 'length|snaplen|bogus' -- run badrec.pcap -m netflow

# pcap header (little-endian, v2.4, snaplen 65535) with link type 147 (USER0), one record
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\0\0\0\0\0\0\0\0\xff\xff\0\0\x93\0\0\0' > lt147.pcap
printf '\0\0\0\0\0\0\0\0\x04\0\0\0\x04\0\0\0\xde\xad\xbe\xef' >> lt147.pcap
check "unsupported link type 147" 2 lt147.pcap 'link.?type' -- run lt147.pcap -m netflow
check "unsupported link type 147 (info)" 2 lt147.pcap 'link.?type' -- "$FLOWSIM" info lt147.pcap

check "nonexistent file" 2 nonexistent.pcap 'no such|cannot open|not found' -- run nonexistent.pcap -m netflow
check "nonexistent file (info)" 2 nonexistent.pcap 'no such|cannot open|not found' -- "$FLOWSIM" info nonexistent.pcap

# every pipeline-replicate keeps its rows in a temporary file until the end:
# more replicates than open files allowed is an input/output error that says so
check "more replicates than open files" 2 'temporary file' 'open files' -- \
    bash -c 'ulimit -n 40 && exec "$1" run "$2" -m netflow --seeds 100 --truth-cache off --out o -q' \
    _ "$FLOWSIM" "$PCAP"

printf '\x0a\x0d\x0d\x0a\x10\0\0\0' > shb8.pcapng
check "truncated pcapng section header" 2 shb8.pcapng 'truncat' -- run shb8.pcapng -m netflow

# pcapng: a block of an unknown type must be skipped (pcapng spec), a block
# whose length is impossible (5 < 12) is an error. Inserted after SHB + IDB.
$PY - "$PCAPNG" <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read()
off = 0
for _ in range(2):                      # SHB, IDB
    off += struct.unpack_from('<I', d, off + 4)[0]
assert struct.unpack_from('<I', d, off)[0] == 6, "third block is not an EPB"
body = b'\x01\x02\x03\x04' * 3
unk = struct.pack('<II', 0x0BADB10C, 12 + len(body)) + body + struct.pack('<I', 12 + len(body))
open('unknown_block.pcapng', 'wb').write(d[:off] + unk + d[off:])
open('bad_block.pcapng', 'wb').write(d[:off] + struct.pack('<II', 0x0BADB10C, 5) + bytes(8) + d[off:])
EOF
st=0; run unknown_block.pcapng -m netflow 2> err.txt || st=$?
if [ "$st" -ne 0 ]; then
    bad "pcapng with an unknown block: exit $st (the block should be skipped): $(head -n 2 err.txt)"
else
    n=$(grep -E '^p0,.*,all,total,all,true_packets,' o/results.csv | cut -d, -f10)
    [ "$n" = 7723 ] || bad "pcapng with an unknown block: true_packets $n, expected 7723 (all frames)"
    echo "ok pcapng with an unknown block: skipped, $n packets"
fi
check "pcapng block length 5" 2 bad_block.pcapng 'length' -- run bad_block.pcapng -m netflow

# ---- truncated record: exit 2, and results up to the error are written --------------
head -c 100000 "$PCAP" > trunc.pcap
# independent count of the complete records before the cut (pcap LE, 16-byte record headers)
read -r complete partial < <($PY - <<'EOF'
import struct
d = open('trunc.pcap', 'rb').read()
off, n = 24, 0
while off + 16 <= len(d):
    cap = struct.unpack_from('<I', d, off + 8)[0]
    if off + 16 + cap > len(d):
        break
    off += 16 + cap; n += 1
print(n, len(d) - off)
EOF
)
[ "$partial" -gt 0 ] || bad "test setup: trunc.pcap is not cut inside a record"
check "truncated record" 2 trunc.pcap 'truncat' -- \
    "$FLOWSIM" run trunc.pcap -m netflow --bin 1s --truth-cache off --out o -q
for f in results.csv manifest.json records/p0_r0.csv; do
    [ -s "o/$f" ] || bad "truncated record: o/$f not written"
done
if [ -s o/manifest.json ]; then
    $PY - "$complete" <<'EOF' || fail=1
import json, sys
m = json.load(open('o/manifest.json'))
want = int(sys.argv[1])
ok = True
if m.get('packets') != want:
    print(f"FAIL: truncated record: manifest packets {m.get('packets')}, expected {want} complete records"); ok = False
if 'trunc.pcap' not in m.get('status', '') or m.get('status') == 'complete':
    print(f"FAIL: truncated record: manifest status does not report the error: {m.get('status')!r}"); ok = False
sys.exit(0 if ok else 1)
EOF
    rp=$(tail -n +2 o/records/p0_r0.csv | awk -F, '{s += $11} END {print s + 0}')
    [ "$rp" = "$complete" ] || bad "truncated record: records hold $rp packets, expected $complete"
    tp=$(grep -E '^p0,.*,all,total,all,true_packets,' o/results.csv | cut -d, -f10)
    # the truth was computed in this pass: it holds exactly the packets read,
    # and every bin is evaluated
    [ "$tp" = "$complete" ] || bad "truncated record: true_packets '$tp', expected $complete"
    grep -q 'results up to the error are in o' err.txt || bad "truncated record: the line does not say where the results are: $(cat err.txt)"
    echo "ok truncated record: $complete packets read, true_packets of the complete bins $tp"
fi

# ---- nonsense parameters (exit 1, nothing run) -------------------------------------
param() {  # NAME PARAM-NAME PROBLEM-REGEX -- flowsim-run-args...
    local name=$1 what=$2 problem=$3
    shift 4
    check "$name" 1 "$what" "$problem" -- run "$PCAP" "$@"
    if [ -e o/results.csv ] || [ -e o/manifest.json ]; then
        bad "$name: a run was made (o/results.csv or o/manifest.json written)"
    fi
}
param "negative timeout"      inactive 'range|negative|> ?0' -- -m 'netflow:inactive=-5s'
param "rate=0"                rate     'range|> ?0|\(0'      -- -m 'sampled-netflow:rate=0'
param "rate=2"                rate     'range|<= ?1|1\]'     -- -m 'sampled-netflow:rate=2'
param "unknown algorithm"     nosuchalgo 'unknown'           -- -m 'nosuchalgo:rate=1/10'
param "unknown parameter"     bogus    'unknown'             -- -m 'netflow:bogus=1'
param "duplicated parameter"  inactive 'twice|duplicate|more than once' -- -m 'netflow:inactive=5s,inactive=6s'
param "entries=0"             entries  'range|>= ?1'         -- -m 'netflow:entries=0'
param "--bin 0"               bin      'range|> ?0'          -- -m netflow --bin 0
param "--seeds 0"             seeds    'range|>= ?1'         -- -m netflow --seeds 0
param "bad BPF filter"        'porrt'  'filter|syntax|parse' -- -m 'netflow:filter=tcp porrt 80'
param "bad unit"              inactive '15x|duration|unit'   -- -m 'netflow:inactive=15x'
param "value without name"    inactive 'name=value|expected' -- -m 'netflow:inactive'
param "empty value"           inactive 'duration|empty'      -- -m 'netflow:inactive='
param "rate=1/0"              rate     'probability|range'   -- -m 'sampled-netflow:rate=1/0'
param "rate=nan"              rate     'probability|range'   -- -m 'sampled-netflow:rate=nan'
param "snaplen below 14"      snaplen  'range|>= ?14'        -- -m 'netflow:snaplen=5'
param "fractional entries"    entries  'whole|integer'       -- -m 'netflow:entries=1.5'
param "unknown enum value"    policy   'unknown|one of'      -- -m 'netflow:policy=fifo'
param "second pipeline bad"   rate     'range'               -- -m netflow -m 'sampled-netflow:rate=0'
param "no pipeline"           '-m'     'no pipeline'         --
exit "$fail"
