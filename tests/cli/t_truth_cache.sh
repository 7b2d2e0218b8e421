# flowsim — the ground-truth cache (--truth-cache DIR).
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
#
# What the code does (sim/engine.c setup_truth_cache, finish_truth_cache,
# sim/truth.c):
#  - the cache file is named by the traces' SHA-256. The first run computes
#    the truth into a temporary file and, once the pass has computed the
#    hash, renames it truth-<hash>-k<keycfg>-b<bin>.bin and records
#    (real path, size, mtime, inode) -> sha256 in DIR/traces.tsv
#    ("computed, cached"); the next run finds the hash there and reads the
#    file ("read from cache").
#  - a cache file is checked whole before use (header, every bin, end mark,
#    size); a damaged one is recomputed and rewritten.
#  - a trace rewritten in place with the same size, mtime and inode is caught
#    by the hash the reader computes during the pass: exit 2, one line, no
#    results.csv, and the index is corrected so the next run is right.
set -u
TR0=$ROOT/traces/real/ndpi_gnutella_full.pcap
cp "$TR0" trace.pcap        # a copy: the index is keyed by the real path
fail=0
bad() { echo "FAIL: $*"; fail=1; }
# no run of this test may touch a cache outside the scratch directory
export HOME=$PWD/home XDG_CACHE_HOME=$PWD/xdg
unset FLOWSIM_CACHE || true
M1='netflow'
M2='sampled-netflow:rate=1/10,key_bidir=yes'     # a second key configuration
run() {  # OUT CACHE [more args]
    local out=$1 cache=$2; shift 2
    rm -rf "$out"
    "$FLOWSIM" run trace.pcap -m "$M1" -m "$M2" --truth-cache "$cache" --out "$out" -q "$@"
}
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3   # pyenv shims are slow to start
gt() { $PY -c 'import json,sys; g=json.load(open(sys.argv[1]))["ground_truth"]; print(";".join(k+"="+g[k] for k in sorted(g)))' "$1/manifest.json"; }

run ref off
[ -s ref/results.csv ] || { echo "FAIL: reference run wrote no results.csv"; exit 1; }
if [ -e home ] || [ -e xdg ] || [ -e C0 ]; then bad "--truth-cache off created a cache directory"; fi

# 1st run: computed and cached, one file per key configuration, and the index
run o1 C
[ -s C/traces.tsv ] || bad "first run: no C/traces.tsv"
grep -q "$(sha256sum trace.pcap | cut -d' ' -f1)" C/traces.tsv || bad "C/traces.tsv does not hold the trace's sha256"
g=$(gt o1); case "$g" in "k1=computed, cached;k1_file="*"k5=computed, cached;k5_file="*) ;; *) bad "first run: ground_truth '$g'";; esac
n=$(ls C/truth-*-k1-b1m.bin C/truth-*-k5-b1m.bin 2>/dev/null | wc -l)
[ "$n" -eq 2 ] || bad "first run: $n truth files for k1/k5, expected 2: $(ls C)"
ls C/*.tmp > /dev/null 2>&1 && bad "first run left a temporary file: $(ls C)"
# 2nd and 3rd runs: read from the cache
run o2 C
g=$(gt o2); case "$g" in "k1=read from cache;k1_file="*"k5=read from cache;k5_file="*) ;; *) bad "second run: ground_truth '$g'";; esac
run o3 C
g=$(gt o3); case "$g" in "k1=read from cache;"*) ;; *) bad "third run: ground_truth '$g'";; esac
for o in o1 o2 o3; do
    cmp -s ref/results.csv "$o/results.csv" || bad "$o/results.csv differs from the run without cache"
done
# another bin length is another cache file, computed at once (the hash is known)
run b10 C --bin 10s
rm -rf ref10; "$FLOWSIM" run trace.pcap -m "$M1" -m "$M2" --truth-cache off --out ref10 -q --bin 10s
g=$(gt b10); case "$g" in "k1=computed, cached;"*"k5=computed, cached;"*) ;; *) bad "--bin 10s: ground_truth '$g'";; esac
run b10b C --bin 10s
g=$(gt b10b); case "$g" in "k1=read from cache;"*"k5=read from cache;"*) ;; *) bad "--bin 10s again: ground_truth '$g'";; esac
cmp -s ref10/results.csv b10/results.csv && cmp -s ref10/results.csv b10b/results.csv ||
    bad "--bin 10s with the cache differs from without"
# --truth-cache auto uses $FLOWSIM_CACHE
FLOWSIM_CACHE=$PWD/auto run a1 auto
[ -s auto/traces.tsv ] || bad "--truth-cache auto did not use \$FLOWSIM_CACHE"
[ -e home ] || [ -e xdg ] && bad "--truth-cache off/auto wrote under HOME or XDG_CACHE_HOME"
echo "ok cache: index, computed+cached, read; identical results.csv"

# ---- a damaged cache file: recompute, or a one-line error; never a crash, never
# a different result under exit 0
F1=$(ls C/truth-*-k1-b1m.bin)
cp "$F1" good.bin
size=$(stat -c %s good.bin)
for cut in 0 10 24 32 5000 $((size / 2)) $((size - 16)) $((size - 1)); do
    cp good.bin "$F1"
    truncate -s "$cut" "$F1"
    st=0
    run x C 2> err.txt || st=$?
    what="cache cut to $cut of $size bytes"
    if [ "$st" -ge 128 ] || grep -qE 'Sanitizer|runtime error:' err.txt; then
        bad "$what: crash (exit $st)"; head -n 5 err.txt; continue
    fi
    if [ "$st" -eq 0 ]; then
        [ ! -s err.txt ] || bad "$what: exit 0 but stderr: $(head -n 2 err.txt)"
        cmp -s ref/results.csv x/results.csv || bad "$what: exit 0 with a results.csv different from the run without cache"
        g=$(gt x)
        case "$g" in
        "k1=computed, cached;"*) cmp -s good.bin "$F1" || bad "$what: recomputed file differs from the original";;
        "k1=read from cache;"*) ;;
        *) bad "$what: ground_truth '$g'";;
        esac
        echo "ok $what: exit 0, $g"
    else
        [ "$(wc -l < err.txt)" -eq 1 ] || { bad "$what: exit $st with $(wc -l < err.txt) lines on stderr"; head -n 3 err.txt; }
        grep -qF "$F1" err.txt || bad "$what: the message does not name the cache file: $(cat err.txt)"
        grep -qiE 'truncated|corrupt' err.txt || bad "$what: the message does not say the problem: $(cat err.txt)"
        [ "$st" -le 2 ] || bad "$what: exit status $st"
        if [ -s x/manifest.json ]; then
            s=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' x/manifest.json)
            [ "$s" != complete ] || bad "$what: exit $st but the manifest says complete"
        fi
        echo "ok $what: exit $st, $(cut -c1-100 err.txt)"
    fi
done
cp good.bin "$F1"

# ---- a trace rewritten in place (same path, size, mtime and inode): the index
# gives the old sha256, the cached truth is the old trace's. The reader's hash
# of this pass must catch it: exit 2, one line, no results.csv; and the next
# run must compute the right truth.
$PY - <<'EOF'
d = bytearray(open('trace.pcap', 'rb').read())
# the last IPv4 frame on Ethernet of >= 100 bytes: its IP total length - 1,
# so true_bytes changes by one
off, last = 24, None
while off + 16 <= len(d):
    cap = int.from_bytes(d[off + 8:off + 12], 'little')
    p = off + 16 + 14
    if cap >= 14 + 20 and d[off + 28:off + 30] == b'\x08\x00' and d[p] >> 4 == 4 and \
       int.from_bytes(d[p + 2:p + 4], 'big') >= 100:
        last = p
    off += 16 + cap
assert last is not None, "no IPv4 frame"
d[last + 2:last + 4] = (int.from_bytes(d[last + 2:last + 4], 'big') - 1).to_bytes(2, 'big')
open('changed.pcap', 'wb').write(d)
EOF
touch -r trace.pcap stamp
cat changed.pcap > trace.pcap      # same inode
touch -r stamp trace.pcap          # same mtime
rm -rf refc; "$FLOWSIM" run changed.pcap -m "$M1" -m "$M2" --truth-cache off --out refc -q
tb() { grep -E '^p0,.*,all,total,all,true_bytes,' "$1/results.csv" | cut -d, -f10; }
[ "$(tb refc)" = "$(($(tb ref) - 1))" ] || bad "test setup: true_bytes $(tb ref) -> $(tb refc), expected one less"
st=0; run s C 2> err.txt || st=$?
[ "$st" -eq 2 ] || bad "trace changed in place: exit $st, expected 2 (stderr: $(head -c 200 err.txt))"
[ "$(wc -l < err.txt)" -eq 1 ] && grep -q 'changed' err.txt && grep -qF 'trace.pcap' err.txt ||
    bad "trace changed in place: expected one line naming the file and the change: $(cat err.txt)"
[ -e s/results.csv ] && bad "trace changed in place: results.csv written from a stale truth"
st=0; run s2 C 2> err.txt || st=$?
[ "$st" -eq 0 ] && cmp -s refc/results.csv s2/results.csv ||
    bad "the run after a stale cache was caught is not right (exit $st, $(head -c 200 err.txt))"
echo "ok changed trace: caught, then recomputed"
exit "$fail"
