#!/usr/bin/env bash
# flowsim paper — experiment slicing: flow slicing against packet sampling at
# the same probability, per-flow error by flow size against theory
# (Kompella and Estan, IMC 2005, §2.4.6 eq. 7; reproduction table claim 9).
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
EXP=slicing
source "$(dirname "$0")/../lib.sh"

# ---- parameters: the one place ------------------------------------------------
# The paper's claim [R FS node22]: at the same p (hence the same expected
# memory: a flow takes an entry iff one of its packets is chosen, in both
# schemes), slicing has variance (1/p)(1/p-1)(1-(1-p)^s) (eq. 7) against
# packet sampling's (1/p-1)s: equal for s = 1, lower for every s > 1.
# Our setting: core slicing without packet sampling in front (q = 1) and one
# slice per flow (t and the inactivity timeout infinite), the base case of
# eq. 7; Sampled NetFlow at rate p with no timeouts, so both keep one entry
# per flow; one analysis bin for the whole trace (--bin inf) so a flow's
# error is that of its whole-trace size; a large memory (ENTRIES) so no
# creation is ever refused. The exact flow sizes for the theory come from an
# unsampled NetFlow with no expiry (pipeline p0).
PS="1/16 1/64"          # probabilities compared, one figure each
# The table pools the flows of at least MIN_SIZE packets. For a flow of
# S <= 1/p packets both schemes have the same mean absolute error, 2(1-p)^S
# (missed with probability (1-p)^S, and the two laws' deviations balance:
# see plots/theory.awk), although slicing's variance is lower; the metric
# separates them only above 1/p. MIN_SIZE = 100 > 1/p for every p in PS.
MIN_SIZE=100
ENTRIES=4Mi             # more than the flows of any trace here: never full
REAL="ndpi_gnutella_full.pcap ndpi_bittorrent_transmission.pcapng pcapplusplus_tls2.pcap iot23_honeypot4-1_philips_hue.pcap ndpi_synscan.pcap"
case $MODE in
smoke) SYN_PROFILE=tiny SYN_PARAMS="duration=5s" SEEDS=3 PS="1/4" REAL="" ;;
quick) # 60 s of the backbone mix at 500 connections/s (about 0.6 M packets, 40 k flows); 30 replicates
       SYN_PROFILE=backbone SYN_PARAMS="duration=60s,flow_rate=500" SEEDS=30 ;;
full)  # 120 s at 1000 connections/s (about 2.4 M packets, 160 k flows); 60 replicates
       SYN_PROFILE=backbone SYN_PARAMS="duration=120s,flow_rate=1000" SEEDS=60 ;;
esac
SYN_SEED=2
# --------------------------------------------------------------------------------

specs() {
    echo "-m netflow:finrst=no,inactive=inf,active=inf,entries=$ENTRIES"
    local p
    for p in $PS; do
        echo "-m flow-slices:q=1,p=$p,t=inf,inactive=inf,entries=$ENTRIES"
        echo "-m sampled-netflow:rate=$p,inactive=inf,active=inf,entries=$ENTRIES"
    done
}

run_exp() {
    local syn; syn=$(gen "slicing-$SYN_PROFILE" "$SYN_PROFILE" $SYN_SEED "$SYN_PARAMS")
    # shellcheck disable=SC2046
    frun "$OUT/$EXP/$(tname "$syn")" "$syn" -- $(specs) --seeds "$SEEDS" --bin inf --bin-rows none
    local r
    for r in $REAL; do
        # shellcheck disable=SC2046
        frun "$OUT/$EXP/$(tname "$r")" "$ROOT/traces/real/$r" -- $(specs) --seeds "$SEEDS" --bin inf --bin-rows none
    done
}

report() {
    local sec=$OUT/$EXP/section.tex dir
    {
        echo "\\subsection{Flow slicing versus packet sampling (claim 9)}"
        echo "\\paragraph{Setting.} Flow slicing \\texttt{flow-slices:q=1,p=\$p\$,t=inf,inactive=inf} against Sampled NetFlow at rate \$p\$ with no timeouts, \$p \\in \\{$(echo $PS | sed 's| |, |g')\\}\$, $SEEDS replicates, one analysis bin for the whole trace. Both keep an entry for a flow exactly when one of its packets is chosen, so their expected memory is the same."
        echo "The curves are the expected per-flow error at the trace's own flows (sizes from an unsampled NetFlow, pipeline p0): \\emph{exact} from the binomial law (de Moivre's closed form of the mean absolute deviation) for packet sampling and from the geometric law of the first sliced packet for slicing; \\emph{normal approx.}\\ is \$\\sqrt{2/\\pi}\\,\\sigma/S\$ with \$\\sigma^2=(1/p-1)S\$ (sampling) or eq.~7, \$\\sigma^2=(1/p)(1/p-1)(1-(1-p)^S)\$ (slicing). The normal approximation is poor for small flows, where the estimate is 0 or far above \$S\$; the exact curves are the reference. A missed flow counts with error 1, in the measurement and in the theory. For \$S \le 1/p\$ the two schemes have exactly the same expected error, \$2(1-p)^S\$, although slicing's variance is lower (eq.~7): the mean absolute error tells them apart only for larger flows, so the table pools the flows of at least $MIN_SIZE packets."
        echo
    } > "$sec"
    for dir in $(run_dirs); do
        local t; t=$(basename "$dir"); local tr; tr=$(trace_of "$dir")
        local setting; if is_real "$tr"; then setting="real capture"; else setting="synthetic $SYN_PROFILE ($SYN_PARAMS)"; fi
        {
            echo "\\subsubsection*{Trace \\texttt{$(texesc "$t")}}"
            echo "$(texesc "$(trace_facts "$tr")").\\par"
        } >> "$sec"
        local i=0 p
        for p in $PS; do
            local fs=p$((2*i+1)) sn=p$((2*i+2)) name=fig-slicing-$((i+1))
            plot err-size "$dir" "$name" --metric are_packets --pipelines "$fs,$sn" --theory "$p,$p" --sizes p0 \
                --labels "$fs=flow slicing p=$p (measured);$sn=packet sampling $p (measured)" --keypos "bottom left" \
                --title "Slicing vs packet sampling, p = $p — $t" --ylabel "per-flow mean |relative error| of packets"
            texfig "$dir/$name.pdf" "per-flow error of packet counts by flow size, \$p=$(texesc "$p")\$; points: measured mean over replicates with 95\\,\\% CI; lines: expected value at the trace's flows." "0.8\\linewidth" >> "$sec"
            cawk -F, -v trace="$t" -v setting="$setting; p=$p" -v fs="$fs" -v sn="$sn" -v theo="$dir/$name.theory.csv" -v minsize=$MIN_SIZE \
                -f "$PAPER/exp/slicing.awk" "$dir/results.csv" >> "$OUT/$EXP/claims.csv.tmp"
            i=$((i+1))
        done
        texfig_break >> "$sec"
    done
}

main "$@"; exit $?   # one line: bash has read it all before running it
