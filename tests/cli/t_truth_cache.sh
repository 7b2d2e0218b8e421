# flowsim — the ground-truth cache (--truth-cache DIR).
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
#
# What the code does (sim/engine.c setup_truth_cache, finish_truth_cache,
# sim/truth.c):
#  - the cache file is named by the traces' SHA-256. The first run computes
#    the truth into a temporary file and, once the pass has computed the
#    hash, renames it truth-<hash>-k<keycfg>-b<bin>.bin and records
#    (real path, size, mtime, inode, content sample) -> sha256 in
#    DIR/traces.tsv ("computed, cached"); the next run finds the hash there
#    and reads the file ("read from cache").
#  - a cache file is checked whole before use (XXH3 checksum, header, every
#    bin, end mark, size); a damaged one gets one warning line naming it, and
#    the truth is recomputed (equal to a run without the cache) and rewritten.
#  - a trace rewritten in place with the same size, mtime and inode is caught
#    before the cache is used by the content sample (a hash of the size and
#    the first and last MiB) when the rewrite touches those; a rewrite only
#    in the middle of a larger file is caught by the hash the reader computes
#    during the pass: exit 2, one line, no results.csv, and the index is
#    corrected so the next run is right.
#  - temporary files of killed writers (*.tmp.HOST.PID.N, PID gone) are
#    removed by the next run; a cache directory that cannot be made gets one
#    warning line and the run goes on without the cache.
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
ls C/ | grep -q tmp && bad "first run left a temporary file: $(ls C)"
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

# ---- a damaged cache file (cut short, or one byte changed anywhere: header,
# a bin's index or count, a key, a count, the end mark, the checksum): one
# warning line naming the file, exit 0, the truth recomputed (results equal to
# the run without the cache) and the file rewritten as it was
F1=$(ls C/truth-*-k1-b1m.bin)
cp "$F1" good.bin
size=$(stat -c %s good.bin)
damage() {  # WHAT: run on the damaged $F1 and check
    local what=$1 st=0
    run x C 2> err.txt || st=$?
    if [ "$st" -ge 128 ] || grep -qE 'Sanitizer|runtime error:' err.txt; then
        bad "$what: crash (exit $st)"; head -n 5 err.txt; return
    fi
    [ "$st" -eq 0 ] || { bad "$what: exit $st: $(head -n 2 err.txt)"; return; }
    [ "$(wc -l < err.txt)" -eq 1 ] && grep -qF "$F1" err.txt && grep -q 'corrupt' err.txt &&
        grep -q 'computing the ground truth again' err.txt ||
        bad "$what: expected one warning line naming the file: $(cat err.txt)"
    cmp -s ref/results.csv x/results.csv || bad "$what: results.csv differs from the run without cache"
    g=$(gt x)
    case "$g" in
    "k1=computed, cached;"*) cmp -s good.bin "$F1" || bad "$what: recomputed file differs from the original";;
    *) bad "$what: ground_truth '$g'";;
    esac
    echo "ok $what: $(cut -c1-120 err.txt)"
}
for cut in 0 10 24 32 5000 $((size / 2)) $((size - 16)) $((size - 1)); do
    cp good.bin "$F1"; truncate -s "$cut" "$F1"
    damage "cache cut to $cut of $size bytes"
done
# one byte: the key configuration, the first bin's index, its entry count, a
# packet count of the first entry (44-byte key at 40), entries further in, the
# end mark's totals, the checksum
for at in 12 24 32 84 $((size / 3)) $((size / 2 + 5)) $((size - 20)) $((size - 3)); do
    cp good.bin "$F1"
    b=$(od -An -tu1 -j "$at" -N1 "$F1" | tr -d ' ')
    printf "\\x$(printf %02x $(( (b + 1) % 256 )))" | dd of="$F1" bs=1 seek="$at" conv=notrunc status=none
    cmp -s good.bin "$F1" && bad "test setup: byte $at not changed"
    damage "byte $at of $size changed"
done
cp good.bin "$F1"

# ---- a trace rewritten in place (same path, size, mtime and inode): the index
# gives the old sha256, the cached truth is the old trace's. The reader's hash
# of this pass must catch it: exit 2, one line, no results.csv; and the next
# run must compute the right truth.
$PY "$ROOT/tests/cli/shrink_last_ipv4.py" trace.pcap changed.pcap
cp trace.pcap orig.pcap; touch -r trace.pcap orig.pcap
touch -r trace.pcap stamp
cat changed.pcap > trace.pcap      # same inode
touch -r stamp trace.pcap          # same mtime
rm -rf refc; "$FLOWSIM" run changed.pcap -m "$M1" -m "$M2" --truth-cache off --out refc -q
tb() { grep -E '^p0,.*,all,total,all,true_bytes,' "$1/results.csv" | cut -d, -f10; }
[ "$(tb refc)" = "$(($(tb ref) - 1))" ] || bad "test setup: true_bytes $(tb ref) -> $(tb refc), expected one less"
# the change is in the last MiB: the content sample catches it before the
# cache is used; the new packets are read, the truth computed
st=0; run s C 2> err.txt || st=$?
[ "$st" -eq 0 ] && cmp -s refc/results.csv s/results.csv ||
    bad "trace changed in its last MiB: exit $st, results differ from a run without cache: $(head -c 200 err.txt)"
[ -s err.txt ] && bad "trace changed in its last MiB: stderr: $(cat err.txt)"
g=$(gt s); case "$g" in "k1=computed, cached;"*) ;; *) bad "trace changed in its last MiB: ground_truth '$g'";; esac
m=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["traces"][0]["sha256"])' s/manifest.json)
[ "$m" = "$(sha256sum trace.pcap | cut -d' ' -f1)" ] || bad "trace changed in its last MiB: manifest sha256 $m is not the file's"
echo "ok changed trace (last MiB): caught before the cache was used"

# a change in the middle of the file only (more than 1 MiB from either end,
# the file is 4 MiB): not in the sample, so the index is trusted and the hash
# computed during the pass catches it
cat orig.pcap > trace.pcap; touch -r orig.pcap trace.pcap
run s0 C 2> err.txt || bad "run on the restored trace failed: $(cat err.txt)"
cmp -s ref/results.csv s0/results.csv || bad "restored trace: results differ"
$PY - <<'PYEOF'
d = bytearray(open('orig.pcap', 'rb').read())
lo, hi = 2 << 20, len(d) - (1 << 20)
off, mid = 24, None
while off + 16 <= len(d) and mid is None:
    cap = int.from_bytes(d[off + 8:off + 12], 'little')
    p = off + 16 + 14
    if off > lo and p + 4 < hi and cap >= 14 + 20 and d[off + 28:off + 30] == b'\x08\x00' and \
       d[p] >> 4 == 4 and int.from_bytes(d[p + 2:p + 4], 'big') >= 100:
        mid = p
    off += 16 + cap
assert mid is not None, "no IPv4 frame in the middle"
d[mid + 2:mid + 4] = (int.from_bytes(d[mid + 2:mid + 4], 'big') - 1).to_bytes(2, 'big')
open('changed.pcap', 'wb').write(d)
PYEOF
cat changed.pcap > trace.pcap; touch -r stamp trace.pcap
rm -rf refc; "$FLOWSIM" run changed.pcap -m "$M1" -m "$M2" --truth-cache off --out refc -q
st=0; run s C 2> err.txt || st=$?
[ "$st" -eq 2 ] || bad "trace changed in place: exit $st, expected 2 (stderr: $(head -c 200 err.txt))"
[ "$(wc -l < err.txt)" -eq 1 ] && grep -q 'changed' err.txt && grep -qF 'trace.pcap' err.txt ||
    bad "trace changed in place: expected one line naming the file and the change: $(cat err.txt)"
[ -e s/results.csv ] && bad "trace changed in place: results.csv written from a stale truth"
st=0; run s2 C 2> err.txt || st=$?
[ "$st" -eq 0 ] && cmp -s refc/results.csv s2/results.csv ||
    bad "the run after a stale cache was caught is not right (exit $st, $(head -c 200 err.txt))"
echo "ok changed trace (middle): caught, then recomputed"

# ---- temporary files: a killed writer's are removed by the next run, a live
# writer's and (until a day old) another machine's are kept
host=$(uname -n | tr -c 'A-Za-z0-9_\n-' '_' | tr -d '\n')
dead=$(sh -c 'echo $$')                    # a process that has ended
for f in "truth-k1.tmp.$host.$dead.0" "truth-k5.tmp.$host.$dead.3" "traces.tsv.tmp.$host.$dead.1"; do
    echo partial > "C/$f"
done
echo live > "C/truth-k1.tmp.$host.$$.0"
echo other > C/truth-k1.tmp.elsewhere.12345.0
echo old > C/truth-k1.tmp.gone.12345.0; touch -d '2 days ago' C/truth-k1.tmp.gone.12345.0
run t1 C 2> err.txt || bad "run with stale temporary files failed: $(cat err.txt)"
left=$(ls C | grep tmp | sort | tr '\n' ' ')
want=$(printf '%s\n' "truth-k1.tmp.$host.$$.0" truth-k1.tmp.elsewhere.12345.0 | sort | tr '\n' ' ')
[ "$left" = "$want" ] || bad "temporary files after the run: '$left', expected '$want'"
rm -f C/*.tmp.*
# a killed run: kill -9 while the truth is being written
"$FLOWSIM" run trace.pcap -m "$M1" -m "$M2" --truth-cache K --bin 1s --out k9 -q & pid=$!
for i in $(seq 1 200); do ls K 2>/dev/null | grep -q tmp && break; sleep 0.01; done
kill -9 $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
n=$(ls K 2>/dev/null | grep -c tmp || true)
run t2 K --bin 1s 2> err.txt || bad "run after kill -9 failed: $(cat err.txt)"
ls K | grep -q tmp && bad "temporary files left after the run that followed kill -9: $(ls K)"
echo "ok temporary files: dead writers' removed ($n left by kill -9), live writers' kept"

# ---- a cache directory that cannot be made (a path under a regular file, which
# fails for root too): one warning line naming it, the run goes on uncached
echo x > notadir
st=0; run u notadir/sub 2> err.txt || st=$?
[ "$st" -eq 0 ] && cmp -s refc/results.csv u/results.csv || bad "unusable cache directory: exit $st or results differ"
[ "$(wc -l < err.txt)" -eq 1 ] && grep -q 'notadir/sub: cannot create the ground-truth cache directory: Not a directory' err.txt ||
    bad "unusable cache directory: stderr '$(cat err.txt)'"
g=$(gt u); case "$g" in "k1=computed;k5=computed") ;; *) bad "unusable cache directory: ground_truth '$g'";; esac
echo "ok unusable cache directory: warned, ran uncached"
exit "$fail"
