#!/usr/bin/env bash
# flowsim paper — experiment frontier (new: no paper ran it): every
# algorithm over the same traces, sweeping its main knob, scored by error
# against memory and against export volume; which is most accurate at equal
# memory and at equal export budget.
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
EXP=frontier
source "$(dirname "$0")/../lib.sh"

# ---- parameters: the one place ------------------------------------------------
# Knobs swept [S]: Sampled NetFlow's rate; FS's slicing probability p (no
# packet sampling, fixed p, a memory that never refuses a creation, so the
# curve is the algorithm's own trade-off, not a controller's); ANF's memory
# budget M (its defining mode: every bin starts unsampled, p_max = 1, and the
# rate drops whenever M is full); sample and hold's per-byte probability.
# FS and sample and hold use the 15 s inactivity timeout of the FS paper's
# experiments (sample and hold's memory would otherwise grow with the
# trace). Unsampled NetFlow is the reference: exact counts; its peak memory
# and export volume define the budgets of the table (divided by BUDGET_DIVS).
SNF_RATES="1 1/4 1/16 1/64 1/256 1/1024 1/4096"
FS_PS="1/4 1/16 1/64 1/256 1/1024 1/4096"
BUDGETS="32 64 128 256 512 1024 4096"
FS_ENTRIES=1Mi          # FS memory: far above its need here, so no creation is refused
SH_P="1/1000 1/10000 1/100000 1/1000000 1/10000000 1/100000000"
BIN=60s                 # ANF bin, FS slice length, analysis bin
BUDGET_DIVS="10 100"    # budgets of the table: NetFlow's memory and export divided by these
# Error scored: weighted mean relative error of the bytes per destination
# port (the application view), over the whole trace.
METRIC=wmre_bytes AGG=dport
REAL="ndpi_gnutella_full.pcap"
REAL_BUDGETS="4 8 16 32 64 128 256"
case $MODE in
smoke) SYN_PROFILE=tiny SYN_PARAMS="duration=5s" SEEDS=3 BUDGETS="32 128" REAL="" BIN=1s
       SNF_RATES="1 1/16" FS_PS="1/4 1/16" SH_P="1/100 1/10000" ;;
quick) # 120 s of the backbone mix at 500 connections/s (about 1.2 M packets); 20 replicates
       SYN_PROFILE=backbone SYN_PARAMS="duration=120s,flow_rate=500" SEEDS=20 ;;
full)  # 600 s at 500 connections/s (about 6 M packets); 30 replicates
       SYN_PROFILE=backbone SYN_PARAMS="duration=600s,flow_rate=500" SEEDS=30 ;;
esac
SYN_SEED=5
# --------------------------------------------------------------------------------

specs() {  # specs BUDGETS
    local r m p
    echo "-m netflow"
    for r in $SNF_RATES; do echo "-m sampled-netflow:rate=$r"; done
    for m in $1; do echo "-m adaptive-netflow:p_max=1,entries=$m,bin=$BIN"; done
    for p in $FS_PS; do echo "-m flow-slices:q=1,p=$p,t=$BIN,inactive=15s,entries=$FS_ENTRIES"; done
    for p in $SH_P; do echo "-m sample-and-hold:p=$p,inactive=15s"; done
}

run_exp() {
    local syn; syn=$(gen "frontier-$SYN_PROFILE" "$SYN_PROFILE" $SYN_SEED "$SYN_PARAMS")
    # shellcheck disable=SC2046
    frun "$OUT/$EXP/$(tname "$syn")" "$syn" -- $(specs "$BUDGETS") --seeds "$SEEDS" --bin $BIN --records none --timeseries none
    local r
    for r in $REAL; do
        # shellcheck disable=SC2046
        frun "$OUT/$EXP/$(tname "$r")" "$ROOT/traces/real/$r" -- $(specs "$REAL_BUDGETS") --seeds "$SEEDS" --bin $BIN \
            --records none --timeseries none
    done
}

report() {
    local sec=$OUT/$EXP/section.tex dir
    {
        echo "\\subsection{New: all algorithms at equal memory and equal export (the error frontier)}"
        echo "\\paragraph{Setting.} Every algorithm on the same trace in one run: Sampled NetFlow at rates \$\\{$(echo $SNF_RATES | sed 's/ /, /g')\\}\$; FS without packet sampling at fixed \$p \\in \\{$(echo $FS_PS | sed 's/ /, /g')\\}\$ (slices of $BIN, 15~s inactivity timeout); ANF (\\texttt{p\\_max=1}, bins of $BIN) with memory budgets \$M \\in \\{$(echo $BUDGETS | sed 's/ /, /g')\\}\$ (real capture: \$\\{$(echo $REAL_BUDGETS | sed 's/ /, /g')\\}\$); sample and hold with per-byte probabilities \$\\{$(echo $SH_P | sed 's/ /, /g')\\}\$ and a 15~s inactivity timeout; unsampled NetFlow as the reference (exact, so absent from the log-scale plots). $SEEDS replicates. Error: weighted mean relative error of the bytes per destination port over the whole trace. The tables list, for each algorithm, its most accurate setting whose mean peak memory (or export volume) fits the budget, a fraction of unsampled NetFlow's."
        echo
    } > "$sec"
    for dir in $(run_dirs); do
        local t; t=$(basename "$dir"); local tr; tr=$(trace_of "$dir")
        echo "\\subsubsection*{Trace \\texttt{$(texesc "$t")}}" >> "$sec"
        echo "$(texesc "$(trace_facts "$tr")")$(is_real "$tr" && echo '; real capture, memory budgets scaled down' || true).\\par" >> "$sec"
        local common=(--metric $METRIC --agg $AGG --algos sampled-netflow,adaptive-netflow,flow-slices,sample-and-hold
                      --ylabel "weighted mean rel. error of bytes per dport" --keypos "bottom left")
        plot err-mem "$dir" fig-frontier-memory "${common[@]}" --title "Error vs peak memory — $t"
        plot err-export "$dir" fig-frontier-export "${common[@]}" --title "Error vs export volume — $t"
        texfig "$dir/fig-frontier-memory.pdf" "error against peak flow memory, one curve per algorithm (its knob swept); bars: 95\\,\\% CI in both directions." "0.75\\linewidth" >> "$sec"
        texfig "$dir/fig-frontier-export.pdf" "error against export volume (NetFlow v5 bytes)." "0.75\\linewidth" >> "$sec"
        local setting; if is_real "$tr"; then setting="real capture"; else setting="synthetic $SYN_PROFILE ($SYN_PARAMS)"; fi
        cawk -F, -v trace="$t" -v setting="$setting" -v metric=$METRIC -v agg=$AGG -v divs="$BUDGET_DIVS" \
            -v textable="$dir/frontier-table.tex" -f "$PAPER/exp/frontier.awk" "$dir/results.csv" >> "$OUT/$EXP/claims.csv.tmp"
        texfig_break >> "$sec"
        echo "\\input{${dir#"$OUT"/}/frontier-table.tex}" >> "$sec"
    done
}

main "$@"; exit $?   # one line: bash has read it all before running it
