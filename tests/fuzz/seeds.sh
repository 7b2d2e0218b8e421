#!/usr/bin/env bash
# flowsim — makes the seed corpora of the fuzz targets (called by fuzz.mk).
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
#
# usage: FLOWSIM=build/flowsim tests/fuzz/seeds.sh OUTDIR
#   OUTDIR/fuzz_pcap/    the first 2 KiB and 8 KiB of every trace in traces/real/,
#                        and of traces made by `flowsim gen` (profiles tiny and
#                        ipv6, microsecond and nanosecond, snaplen 64), and the
#                        same converted to pcapng when editcap is installed
#   OUTDIR/fuzz_pcapng/  the pcapng ones as fuzz_pcapng reads them: a link-type
#                        byte (0 = Ethernet) and the blocks after the first
#                        SHB and IDB; plus the whole slices (they start with
#                        the SHB and are used as they are)
#   OUTDIR/fuzz_run/     the 2 KiB slices of fuzz_pcap
#   OUTDIR/fuzz_spec/    one file per line of tests/fuzz/spec_seeds.txt
#   OUTDIR/NAME/         for any other target (the sweep-file parser, say): copies
#                        of the files in tests/fuzz/seeds-NAME/ if that folder exists
set -eu
out=${1:?usage: seeds.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
FLOWSIM=${FLOWSIM:-$root/build/flowsim}
rm -rf "$out"
mkdir -p "$out/fuzz_pcap" "$out/fuzz_pcapng" "$out/fuzz_spec"
tmp=$(mktemp -d /tmp/flowsim-seeds.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

caps=()
for f in "$root"/traces/real/*.pcap "$root"/traces/real/*.pcapng; do
    [ -f "$f" ] && caps+=("$f")
done
if [ -x "$FLOWSIM" ]; then
    "$FLOWSIM" gen --profile tiny -p duration=2s -o "$tmp/gen_tiny.pcap" >/dev/null 2>&1 &&
        caps+=("$tmp/gen_tiny.pcap")
    "$FLOWSIM" gen --profile ipv6 -p duration=2s --usec -o "$tmp/gen_ipv6_us.pcap" >/dev/null 2>&1 &&
        caps+=("$tmp/gen_ipv6_us.pcap")
    "$FLOWSIM" gen --profile attacks -p duration=1s,snaplen=64 -o "$tmp/gen_attacks_64.pcap" \
        >/dev/null 2>&1 && caps+=("$tmp/gen_attacks_64.pcap")
else
    echo "seeds.sh: $FLOWSIM not built; no generated seeds" >&2
fi
if command -v editcap >/dev/null; then
    for f in "$tmp"/gen_*.pcap; do
        [ -f "$f" ] || continue
        editcap -F pcapng "$f" "${f%.pcap}.pcapng" 2>/dev/null && caps+=("${f%.pcap}.pcapng")
    done
fi

le32() {  # FILE OFFSET: the little-endian 32-bit word at OFFSET
    od -An -tu4 -j "$2" -N 4 "$1" | tr -d ' '
}
for f in "${caps[@]}"; do
    b=$(basename "$f")
    for k in 2 8; do
        head -c $((k * 1024)) "$f" > "$out/fuzz_pcap/${b}.${k}k"
    done
    case "$f" in
    *.pcapng)
        # the whole slice (starts with the SHB), and what follows SHB + IDB
        head -c 4096 "$f" > "$out/fuzz_pcapng/${b}.4k"
        shb=$(le32 "$f" 4)
        idb=$(le32 "$f" $((shb + 4)))
        { printf '\0'; tail -c +$((shb + idb + 1)) "$f" | head -c 4096; } > "$out/fuzz_pcapng/${b}.blocks"
        ;;
    esac
done

# fuzz_run: the whole engine is slower per input, so the 2 KiB slices only
mkdir -p "$out/fuzz_run"
cp "$out"/fuzz_pcap/*.2k "$out/fuzz_run/"

i=0
while IFS= read -r line; do
    i=$((i + 1))
    printf '%s' "$line" > "$out/fuzz_spec/$(printf 'spec%03d' "$i")"
done < "$here/spec_seeds.txt"
for d in "$here"/seeds-*/; do
    [ -d "$d" ] || continue
    n=$(basename "$d"); n=${n#seeds-}
    mkdir -p "$out/$n"
    cp "$d"* "$out/$n/" 2>/dev/null || true
done
for d in "$out"/*/; do echo "seeds: $(basename "$d"): $(find "$d" -type f | wc -l) files"; done
