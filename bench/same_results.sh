#!/bin/bash
# flowsim bench — do two builds give the same results? For changes that must
# not change any output (memory layout, speed): runs OLD and NEW flowsim on
# the five real captures of traces/real/ with three bin settings, eight
# pipelines (every algorithm; small and default entry limits; a record
# stage) and two seeds, and compares results.csv, timeseries.csv and every
# records file byte for byte. The manifests differ (commit, times) and are
# not compared.
#
#   bash bench/same_results.sh OLD_FLOWSIM NEW_FLOWSIM
#
# Prints one line per comparison that differs and "N runs, N differ";
# exits 1 if any differs, 2 if a run fails.
#
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
set -u
OLD=${1:?usage: same_results.sh OLD_FLOWSIM NEW_FLOWSIM}
NEW=${2:?usage: same_results.sh OLD_FLOWSIM NEW_FLOWSIM}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d /tmp/flowsim-same-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
M=(-m netflow -m 'netflow:entries=40,inactive=60s' -m 'sampled-netflow:rate=1/8'
   -m 'sample-and-hold:p=1/100' -m 'sample-and-hold:p=1/10,entries=30'
   -m 'adaptive-netflow:bin=10s,entries=200' -m 'flow-slices:p=1/4,t=20s,entries=100'
   -m 'netflow|uniform:rate=1/2')
BINS=("--bin 60s" "--bin 5s --bin-rows all" "--bin inf --key-totals trace")
runs=0 differ=0
for tr in "$ROOT"/traces/real/*.pcap*; do
    for b in "${BINS[@]}"; do
        runs=$((runs + 1))
        for v in OLD NEW; do
            rm -rf "$TMP/$v"
            # shellcheck disable=SC2086
            if ! "${!v}" run "$tr" "${M[@]}" --seeds 2 $b --records all --timeseries all \
                 --truth-cache off -q --out "$TMP/$v" > "$TMP/$v.log" 2>&1; then
                echo "$v failed on $(basename "$tr") $b: $(tail -n 1 "$TMP/$v.log")"
                exit 2
            fi
        done
        if ! diff -rq -x manifest.json "$TMP/OLD" "$TMP/NEW" > "$TMP/diff"; then
            differ=$((differ + 1))
            echo "$(basename "$tr") $b: $(head -n 3 "$TMP/diff" | tr '\n' ' ')"
        fi
    done
done
echo "$runs runs (x $((${#M[@]} / 2)) pipelines x 2 seeds), $differ differ"
[ "$differ" -eq 0 ]
