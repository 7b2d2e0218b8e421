# flowsim — running out of memory while the pipeline-replicates are set up
# gives one line saying how many there are and the least memory they hold,
# exit 2, never a crash. Copyright (C) 2026 the flowsim authors.
# GPL-3.0-or-later.
#
# Two pipelines x 10^6 seeds (the --seeds limit) need 2 x 10^6 run slots of
# several KB each, over 8 GB, under an address-space limit of 2 GB: the very
# first allocation fails (before the fix, freeing the runs that were never
# made crashed).
# AddressSanitizer reserves terabytes of address space for its shadow
# memory, so an ASan build cannot run under ulimit -v: it skips.
set -u
if grep -qa __asan_init "$FLOWSIM"; then
    echo "SKIP: AddressSanitizer build (no address-space limit possible)"
    exit 0
fi
st=0
(ulimit -v 2000000 && exec "$FLOWSIM" run "$ROOT/traces/real/ndpi_synscan.pcap" -m netflow \
    -m 'netflow:entries=1000' --seeds 1000000 --truth-cache off -q --out o) 2> err.txt || st=$?
cat err.txt
[ "$st" -eq 2 ] || { echo "FAIL: exit $st, want 2"; exit 1; }
[ "$(wc -l < err.txt)" -eq 1 ] || { echo "FAIL: want one line on stderr"; exit 1; }
grep -qE '^flowsim: out of memory setting up pipeline-replicate 1 of 2000000 \(2 pipelines x 1000000 seeds\): each holds at least [0-9]+ KB before any packet, [0-9.e+]+ GB for all of them' err.txt ||
    { echo "FAIL: message"; exit 1; }
rm -rf o err.txt
