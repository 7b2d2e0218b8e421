# flowsim — the decoded-trace cache (--decode-cache DIR).
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
#
# What the code does (sim/reader.c dcache_try, sim/dcache.c, sim/engine.c):
#  - the first run over a pcap writes DIR/decoded/<hash>.fsd while it reads
#    ("decoded_cache": "written" in the manifest); later runs replay it
#    ("replayed") and give byte-identical results, for several traces read
#    together, several key configurations and the observation stage;
#  - a cache is used while the pcap's path, size, inode, modification time
#    and content sample (a hash of its size and first and last MiB) are
#    unchanged: a rewritten pcap is decoded again, also one rewritten in
#    place with its size and modification time kept (touch -r);
#  - the manifest says where each trace's sha256 comes from (read in this
#    run, or the decoded-trace cache);
#  - temporary files of dead writers in DIR/decoded are removed by the next
#    run;
#  - a damaged cache is reported in one line, decoded again and rewritten;
#  - a pipeline with a BPF filter needs the raw frames: the pcaps are read.
set -u
fail=0
bad() { echo "FAIL: $*"; fail=1; }
export HOME=$PWD/home XDG_CACHE_HOME=$PWD/xdg
unset FLOWSIM_CACHE || true
cp "$ROOT/traces/real/ndpi_gnutella_full.pcap" a.pcap
cp "$ROOT/traces/real/pcapplusplus_tls2.pcap" b.pcap          # IPv6 and IPv4
cp "$ROOT/traces/real/ndpi_bittorrent_transmission.pcapng" c.pcapng
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
use() { $PY -c 'import json,sys; print(" ".join(t["decoded_cache"] for t in json.load(open(sys.argv[1]))["traces"]))' "$1/manifest.json"; }
M=(-m netflow -m 'sampled-netflow:rate=1/10,key_bidir=yes' -m 'netflow:key_tos=yes,snaplen=54' --seeds 2)
run() {  # OUT CACHE [more args]
    local out=$1 cache=$2; shift 2
    rm -rf "$out"
    "$FLOWSIM" run a.pcap b.pcap c.pcapng "${M[@]}" --truth-cache off --decode-cache "$cache" \
        --out "$out" -q "$@" 2> "$out.err"
}

run ref off || bad "reference run failed"
[ "$(use ref)" = "no no no" ] || bad "--decode-cache off: manifest says '$(use ref)'"
[ -e home ] || [ -e xdg ] && bad "--decode-cache off created a directory"
run o1 D || bad "first run failed: $(cat o1.err)"
[ "$(use o1)" = "written written written" ] || bad "first run: manifest says '$(use o1)'"
n=$(ls D/decoded/*.fsd 2>/dev/null | wc -l)
[ "$n" -eq 3 ] || bad "first run: $n cache files, expected 3: $(ls -R D)"
ls D/decoded/ | grep -q tmp && bad "first run left a temporary file: $(ls D/decoded)"
run o2 D || bad "second run failed: $(cat o2.err)"
[ "$(use o2)" = "replayed replayed replayed" ] || bad "second run: manifest says '$(use o2)'"
for o in o1 o2; do
    cmp -s ref/results.csv $o/results.csv || bad "$o/results.csv differs from the run without cache"
    for f in ref/records/*.csv; do
        cmp -s "$f" "$o/records/$(basename "$f")" || bad "$o: $(basename "$f") differs"
    done
    [ -s $o.err ] && bad "$o printed: $(cat $o.err)"
done

# a pcap rewritten (new mtime) is decoded again; the others are replayed
sleep 0.01; touch a.pcap
run o3 D || bad "run after touch failed"
[ "$(use o3)" = "written replayed replayed" ] || bad "after touching a.pcap: manifest says '$(use o3)'"
cmp -s ref/results.csv o3/results.csv || bad "o3/results.csv differs"

# a damaged cache: one line on stderr, decoded again, rewritten, same results
f=$(ls -S D/decoded/*.fsd | head -n 1)
printf '\x55' | dd of="$f" bs=1 seek=200 conv=notrunc status=none
run o4 D || bad "run with a damaged cache failed: $(cat o4.err)"
[ "$(wc -l < o4.err)" -eq 1 ] || bad "damaged cache: expected one line on stderr, got: $(cat o4.err)"
grep -q 'decoded-trace cache is corrupt (checksum mismatch' o4.err || bad "damaged cache: message '$(cat o4.err)'"
grep -q 'decoding .* again' o4.err || bad "damaged cache: message does not say what happens: '$(cat o4.err)'"
cmp -s ref/results.csv o4/results.csv || bad "o4/results.csv differs"
run o5 D || bad "run after the rewrite failed"
[ "$(use o5)" = "replayed replayed replayed" ] || bad "after the rewrite: manifest says '$(use o5)'"
src() { $PY -c 'import json,sys; t=json.load(open(sys.argv[1]))["traces"][0]; print(t["sha256"] + " " + t["sha256_source"])' "$1/manifest.json"; }
case "$(src o5)" in "$(sha256sum a.pcap | cut -d' ' -f1) decoded-trace cache (the file was not read"*) ;;
    *) bad "replayed: sha256 and its source: '$(src o5)'";; esac

# a pcap rewritten in place with its size, inode and mtime kept: the content
# sample catches it, the new packets are read (results equal a run without
# the cache on the new contents) and the manifest has the new file's sha256
cp a.pcap a0.pcap
$PY "$ROOT/tests/cli/shrink_last_ipv4.py" a0.pcap a1.pcap
touch -r a.pcap stamp
cat a1.pcap > a.pcap; touch -r stamp a.pcap
run rw0 off || bad "reference run on the rewritten pcap failed"
cmp -s ref/results.csv rw0/results.csv && bad "test setup: the rewrite does not change the results"
run rw D || bad "run after the in-place rewrite failed: $(cat rw.err)"
[ "$(use rw)" = "written replayed replayed" ] || bad "in-place rewrite: manifest says '$(use rw)'"
cmp -s rw0/results.csv rw/results.csv || bad "in-place rewrite: results differ from a run without the cache (old packets replayed?)"
case "$(src rw)" in "$(sha256sum a.pcap | cut -d' ' -f1) computed from the file in this run") ;;
    *) bad "in-place rewrite: sha256 and its source: '$(src rw)'";; esac
cat a0.pcap > a.pcap; touch -r stamp a.pcap

# temporary files: a dead writer's are removed, a live writer's kept
host=$(uname -n | tr -c 'A-Za-z0-9_\n-' '_' | tr -d '\n')
dead=$(sh -c 'echo $$')
echo partial > "D/decoded/0123456789abcdef.fsd.tmp.$host.$dead.0"
echo live > "D/decoded/0123456789abcdef.fsd.tmp.$host.$$.0"
run o6 D || bad "run with a stale temporary file failed"
[ "$(ls D/decoded | grep tmp)" = "0123456789abcdef.fsd.tmp.$host.$$.0" ] ||
    bad "temporary files after the run: $(ls D/decoded | grep tmp)"
rm -f D/decoded/*.tmp.*

# a BPF filter reads the pcaps (the cache has no raw frames)
rm -rf fr ff
"$FLOWSIM" run a.pcap -m 'netflow:filter=tcp' --truth-cache off --decode-cache D --out ff -q || bad "filter run failed"
"$FLOWSIM" run a.pcap -m 'netflow:filter=tcp' --truth-cache off --decode-cache off --out fr -q || bad "filter reference failed"
[ "$(use ff)" = "no" ] || bad "with a filter: manifest says '$(use ff)'"
cmp -s fr/results.csv ff/results.csv || bad "filter run differs"

# the parameter is in the manifest
v=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["run"]["decode_cache"]["value"])' o2/manifest.json 2>&1)
[ "$v" = D ] || bad "decode_cache in the manifest: '$v'"
# a cache directory that cannot be made: a warning, and the run goes on
echo x > notadir
"$FLOWSIM" run a.pcap -m netflow --truth-cache off --decode-cache notadir/sub --out nd -q 2> nd.err || bad "run with an unusable cache directory failed"
grep -q 'notadir/sub/decoded: cannot create the decoded-trace cache directory' nd.err || bad "unusable directory: '$(cat nd.err)'"
exit $fail
