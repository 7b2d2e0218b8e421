#!/usr/bin/env bash
# flowsim paper — experiment flood: memory and export under a spoofed SYN
# flood (Adaptive NetFlow's robustness claim, Estan et al., SIGCOMM 2004,
# abstract; reproduction table claim 11).
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
EXP=flood
source "$(dirname "$0")/../lib.sh"

# ---- parameters: the one place ------------------------------------------------
# The claim [R ANF abstract]: ANF adapts its sampling rate so that memory
# and reporting stay bounded under floods of small packets with spoofed
# sources. The paper's experiment was not retrieved; ours [S]:
# the backbone-flood profile (one-packet SYN flows from distinct spoofed
# sources to one victim) made longer so that the flood has a before and an
# after; all meters start at packet sampling Q (the CPU-limited rate of the
# FS paper's OC-48 link, node5); the budget M of the adaptive meters is
# about 1.6x what Sampled NetFlow at Q needs before the flood.
Q=1/16
BIN=30s                 # ANF bin and FS slice length
INACTIVE=15s            # inactivity timeout of Sampled NetFlow and FS (the usual 15 s)
ABIN=10s                # analysis bin
case $MODE in
smoke) SYN_PARAMS="duration=12s,flow_rate=100,flood_start=4s,flood_duration=4s,flood_rate=2k" FLOOD_A=4 FLOOD_B=8 PRE_FROM=1
       M=128 SEEDS=3 BIN=4s ABIN=2s ;;
quick) # 120 s at 500 connections/s, flood 40-80 s at 20,000 flows/s (about 2 M packets)
       SYN_PARAMS="duration=120s,flow_rate=500,flood_start=40s,flood_duration=40s,flood_rate=20k" FLOOD_A=40 FLOOD_B=80 PRE_FROM=20
       M=4096 SEEDS=20 ;;
full)  # 300 s at 1000 connections/s, flood 100-200 s at the profile's 40,000 flows/s (about 10 M packets)
       SYN_PARAMS="duration=300s,flow_rate=1000,flood_start=100s,flood_duration=100s,flood_rate=40k" FLOOD_A=100 FLOOD_B=200 PRE_FROM=30
       M=8192 SEEDS=30 ;;
esac
SYN_SEED=4
# Windows of the claims (seconds from the trace start): before = [PRE_FROM,
# FLOOD_A) once the 15 s timeouts have filled the caches; during = [FLOOD_A,
# FLOOD_B + LAG) where LAG covers entries still waiting for their timeout.
LAG=20
# --------------------------------------------------------------------------------

run_exp() {
    local syn; syn=$(gen "flood-backbone-flood" backbone-flood $SYN_SEED "$SYN_PARAMS")
    frun "$OUT/$EXP/$(tname "$syn")" "$syn" -- \
        -m "sampled-netflow:rate=$Q,inactive=$INACTIVE" \
        -m "adaptive-netflow:p_max=$Q,entries=$M,bin=$BIN" \
        -m "adaptive-netflow:p_max=$Q,entries=$M,bin=$BIN,report=spread" \
        -m "flow-slices:q=$Q,p=1,adapt=occupancy,entries=$M,t=$BIN,inactive=$INACTIVE" \
        --seeds "$SEEDS" --bin $ABIN --timeseries all --records none
}

report() {
    local sec=$OUT/$EXP/section.tex dir
    {
        echo "\\subsection{A spoofed flood (claim 11)}"
        echo "\\paragraph{Setting (reconstructed).} Trace \\texttt{backbone-flood} with \\texttt{$(texesc "$SYN_PARAMS")}: a SYN flood of one-packet flows from distinct spoofed sources between ${FLOOD_A}~s and ${FLOOD_B}~s (shaded). Sampled NetFlow samples packets at $(texesc $Q) with a $INACTIVE inactivity timeout and its default cache of 65,536 entries; ANF (\\texttt{p\\_max=$(texesc $Q)}, budget \$M=$M\$ entries, bins of $BIN) reports all entries at the bin end (\\emph{burst}) or spread over the next bin (\\emph{spread}, double-buffered: up to \$2M\$); FS samples at \$q=$(texesc $Q)\$ and adapts its slicing probability \$p\$ to the same budget (\\texttt{adapt=occupancy}). $SEEDS replicates; lines are means over replicates, bands their 95\\,\\% CI."
        echo
    } > "$sec"
    for dir in $(run_dirs); do
        local t; t=$(basename "$dir")
        local emerg; emerg=$($AWK -F, '$1 == "p0" && $6 == "all" && $9 == "meter_emergency_expiries" { s += $10 } END { print s + 0 }' "$dir/results.csv")
        echo "Sampled NetFlow's cache made $emerg emergency expiries over all replicates (0: it never filled).\\par" >> "$sec"
        local lab=(--labels "p0=Sampled NetFlow $Q;p1=ANF burst;p2=ANF spread;p3=FS adaptive p" --shade "$FLOOD_A:$FLOOD_B")
        plot mem-time "$dir" fig-flood-memory --metric entries_max "${lab[@]}" --budget $M --keypos "top right" \
            --ylabel "flow-memory entries (largest in each second)" --title "Memory during a spoofed flood — $t"
        plot export-time "$dir" fig-flood-export --metric export_bytes "${lab[@]}" --keypos "top left" \
            --ylabel "export bytes per second (NetFlow v5)" --title "Export during a spoofed flood — $t"
        texfig "$dir/fig-flood-memory.pdf" "flow-memory entries per second; dashed line: the budget \$M\$ of the adaptive meters." "0.8\\linewidth" >> "$sec"
        texfig "$dir/fig-flood-export.pdf" "export volume per second. ANF sends its reports as a burst at each bin end." "0.8\\linewidth" >> "$sec"
        texfig_break >> "$sec"
        cawk -F, -v trace="$t" -v setting="synthetic backbone-flood ($SYN_PARAMS); rate $Q; M=$M; reconstructed" \
            -v M_="$M" -v fa="$FLOOD_A" -v fb="$FLOOD_B" -v pre="$PRE_FROM" -v lag="$LAG" -v q="$Q" \
            -f "$PAPER/exp/flood.awk" "$dir/timeseries.csv" >> "$OUT/$EXP/claims.csv.tmp"
    done
}

main "$@"; exit $?   # one line: bash has read it all before running it
