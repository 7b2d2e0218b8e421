# flowsim — no file a run writes is one of its input traces, and no two
# --export destinations are one file (sim/outpaths.h): each is refused with
# one line naming both, exit 1, before anything is written, the trace left
# intact. Files are compared by device and inode, so other spellings, a
# symbolic link and a hard link are caught; a file not made yet by its
# folder and name. Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
set -u
fail=0
bad() { echo "FAIL: $*"; fail=1; }
cp "$ROOT/traces/real/ndpi_synscan.pcap" t.pcap
ln -s t.pcap sym.pcap
ln t.pcap hard.pcap
mkdir -p sub o2
cp t.pcap o2/manifest.json
sum=$(cksum < t.pcap)
# refused NAME REGEX ARGS...: exit 1, one stderr line matching REGEX
refused() {
    local name=$1 re=$2 st=0
    shift 2
    "$FLOWSIM" run "$@" --truth-cache off --decode-cache off -q > out.txt 2> err.txt || st=$?
    [ "$st" -eq 1 ] || bad "$name: exit $st, want 1"
    [ "$(wc -l < err.txt)" -eq 1 ] || bad "$name: want one line on stderr: $(cat err.txt)"
    grep -qE -e "$re" err.txt || bad "$name: stderr: $(cat err.txt)"
}
refused trace_dot "^flowsim run: --export 'csv:file:\./t\.pcap': \./t\.pcap is the input trace t\.pcap \(it would be overwritten" \
    t.pcap -m netflow --export csv:file:./t.pcap --out o
refused trace_symlink "--export 'jsonl:file:sym\.pcap': sym\.pcap is the input trace t\.pcap" \
    t.pcap -m netflow --export jsonl:file:sym.pcap --out o
refused trace_hardlink "--export 'ipfix:file:hard\.pcap': hard\.pcap is the input trace sub/\.\./t\.pcap" \
    sub/../t.pcap -m netflow --export ipfix:file:hard.pcap --out o
refused trace_second_pipeline "--export 'v9:file:\./sub/\.\./t\.pcap': .* is the input trace t\.pcap" \
    t.pcap -m netflow -m 'netflow:entries=100' --export v9:file:./sub/../t.pcap --out o
refused out_file "^flowsim run: --out o2: o2/manifest\.json is the input trace o2/manifest\.json" \
    o2/manifest.json -m netflow --out o2
refused two_exports_new_file "^flowsim run: --export 'csv:file:x\.csv' and --export 'jsonl:file:sub/\.\./x\.csv' write to the same file" \
    t.pcap -m netflow --export csv:file:x.csv -m netflow --export jsonl:file:sub/../x.csv --out o
touch y.csv
refused two_exports_one_pipeline "--export 'csv:file:y\.csv' and --export 'csv:file:\./y\.csv' write to the same file" \
    t.pcap -m netflow --export csv:file:y.csv --export csv:file:./y.csv --out o
refused export_is_results "--export 'csv:file:o/results\.csv' and --out o write to the same file o/results\.csv" \
    t.pcap -m netflow --export csv:file:o/results.csv --out o
[ "$(cksum < t.pcap)" = "$sum" ] || bad "the trace was changed"
[ ! -e x.csv ] || bad "x.csv was written by a refused run"
[ ! -s y.csv ] || bad "y.csv was written by a refused run"
# distinct files go through
"$FLOWSIM" run t.pcap -m netflow --export csv:file:a.csv --export ipfix:file:b.bin \
    --truth-cache off --decode-cache off -q --out o || bad "two distinct exports: exit $?"
[ -s a.csv ] && [ -s b.bin ] || bad "two distinct exports: files not written"
rm -rf o o2 sub t.pcap sym.pcap hard.pcap y.csv a.csv b.bin out.txt err.txt
exit $fail
