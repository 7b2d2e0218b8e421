#!/usr/bin/env bash
# flowsim paper — experiment systematic (new: no paper ran it): systematic
# against random 1-in-N packet sampling on traffic whose packet sizes repeat
# with period N, and on the same packets without the period.
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
EXP=systematic
source "$(dirname "$0")/../lib.sh"

# ---- parameters: the one place ------------------------------------------------
# Traffic written by paper/tools/periodic.c [S]: packets evenly spaced at
# PPS per second; in every period of N packets one BIG-byte packet of a
# stream (slot 0) and N-1 SMALL-byte packets of N-1 other flows. Sampling
# probability 1/N, the period: systematic sampling picks every N-th packet
# from a phase drawn uniformly per replicate, so each replicate samples one
# slot only. The control trace has the same packets with each period's
# slots in random order (-x SHUFFLE_SEED).
N=16 PPS=2000 BIG=1500 SMALL=64 SHUFFLE_SEED=7
case $MODE in
smoke) DUR=5 SEEDS=20 ;;
quick) DUR=60 SEEDS=400 ;;     # 120,000 packets per trace; 400 replicates (about 25 phase-0 hits expected)
full)  DUR=300 SEEDS=1000 ;;    # 600,000 packets per trace; 1000 replicates
esac
# --------------------------------------------------------------------------------

writer() {  # the trace writer, built from paper/tools/periodic.c when missing or older
    local bin=$OUT/tools/periodic
    if [ ! -x "$bin" ] || [ "$PAPER/tools/periodic.c" -nt "$bin" ]; then
        mkdir -p "$OUT/tools"
        ${CC:-cc} -std=c11 -O2 -Wall -Wextra -D_GNU_SOURCE -o "$bin" "$PAPER/tools/periodic.c"
    fi
    echo "$bin"
}

run_exp() {
    local w; w=$(writer)
    mkdir -p "$OUT/traces"
    local per=$OUT/traces/periodic-n$N.pcap shuf=$OUT/traces/shuffled-n$N.pcap
    "$w" -o "$per" -n $N -r $PPS -d $DUR -b $BIG -s $SMALL
    "$w" -o "$shuf" -n $N -r $PPS -d $DUR -b $BIG -s $SMALL -x $SHUFFLE_SEED
    local tr
    for tr in "$per" "$shuf"; do
        frun "$OUT/$EXP/$(tname "$tr")" "$tr" -- -m "sampled-netflow:rate=1/$N,mode=systematic" \
            -m "sampled-netflow:rate=1/$N,mode=random" --seeds "$SEEDS" --bin inf --bin-rows none --records none --timeseries none
    done
}

report() {
    local sec=$OUT/$EXP/section.tex dir
    # What systematic sampling must give on the periodic trace, per replicate:
    # phase 0 (probability 1/N) samples only the big packets, any other phase
    # only small ones; the relative error of the total bytes is then fixed.
    local expect; expect=$($AWK -v n=$N -v b=$BIG -v s=$SMALL 'BEGIN {
        t = b + (n - 1) * s; e0 = n * b / t - 1; e1 = n * s / t - 1
        printf "%+.1f\\,\\%% with probability 1/%d (phase on the big packet) and %+.1f\\,\\%% otherwise; mean over phases %.2g, mean absolute error %.1f\\,\\%%",
            100 * e0, n, 100 * e1, e0 / n + e1 * (n - 1) / n, 100 * (e0 / n - e1 * (n - 1) / n) }')
    {
        echo "\\subsection{New: systematic versus random \\texorpdfstring{1-in-\$N\$}{1-in-N} sampling on periodic traffic}"
        echo "\\paragraph{Setting.} Two traces written by \\texttt{paper/tools/periodic.c}: $PPS packets/s for $DUR~s; in every period of \$N=$N\$ packets one $BIG-byte packet of a stream and $((N-1)) packets of $SMALL bytes of $((N-1)) other flows (each with its own destination port). \\emph{Periodic}: the slots in the same order in every period; \\emph{shuffled}: each period's slots in random order (same packets, no period). Sampled NetFlow at rate \$1/$N\$, \\texttt{mode=systematic} (every \$N\$-th packet from a random phase, drawn anew for each replicate) against \\texttt{mode=random} (independent per packet), $SEEDS replicates each, one analysis bin for the whole trace."
        echo "\\paragraph{What is shown.} Each dot is one replicate's signed relative error of the total byte estimate; the black bar is the mean over replicates and its 95\\,\\% CI. On the periodic trace a systematic replicate samples a single slot, so its error is determined by its phase: $expect. Over replicates (phases) systematic sampling is therefore unbiased, but every single run is off by the error its phase dictates, whereas random sampling's runs scatter around zero. On the shuffled trace systematic sampling takes exactly one packet of every period, a stratified sample, which should make it no worse than random sampling (the table checks). The table reports the mean per-replicate \\emph{absolute} error (what one measurement gets wrong) and the mean signed error (the bias over replicates)."
        echo
    } > "$sec"
    for dir in $(run_dirs); do
        local t; t=$(basename "$dir")
        plot replicates "$dir" fig-systematic --metric rel_err_bytes --stat mean \
            --labels "p0=systematic 1/$N;p1=random 1/$N" --title "1-in-$N sampling, every replicate — $t" \
            --ylabel "relative error of total bytes (signed)"
        plot replicates "$dir" fig-systematic-ports --metric wmre_bytes --agg dport --stat mean \
            --labels "p0=systematic 1/$N;p1=random 1/$N" --title "1-in-$N sampling, per-port error — $t" \
            --ylabel "weighted mean rel. error of bytes per dport"
        texfig "$dir/fig-systematic.pdf" "signed relative error of the total bytes, every replicate (dots) and mean with 95\\,\\% CI (bar)." "0.6\\linewidth" >> "$sec"
        texfig "$dir/fig-systematic-ports.pdf" "weighted mean relative error of the bytes per destination port, every replicate." "0.6\\linewidth" >> "$sec"
        texfig_break >> "$sec"
        cawk -F, -v trace="$t" -v setting="periodic.c: N=$N $PPS pkt/s ${DUR} s; rate 1/$N" -v kind="${t%%-*}" -v period=$N \
            -f "$PAPER/exp/systematic.awk" "$dir/results.csv" >> "$OUT/$EXP/claims.csv.tmp"
    done
}

main "$@"; exit $?   # one line: bash has read it all before running it
