#!/bin/bash
# flowsim bench — end-to-end speed against the raw libpcap read loop and
# other flow tools, on the same pcap in one run (bench/README.md).
#
#   bash bench/e2e.sh BUILD OUTDIR [full|quick]
#
# For every scaled input (bench/inputs.sh) and every tool, RUNS runs
# (interleaved: run 1 of every tool, then run 2, ...), each the whole process
# under /usr/bin/time -v (max RSS) with the wall time taken around it in
# nanoseconds. Reports the median wall time, frames per second (frames in
# the file / median wall) and ratios against the raw loop and against
# flowsim measured in the same run: the machine is shared, so only ratios
# from one run are comparable. Then: 1, 4 and 16 sampled pipelines in one
# pass, max RSS on traces of duration D and 10 D at the same concurrency
# (also with --key-totals trace and with --partial-close=0), and max RSS per
# pipeline-replicate (1 and N replicates of one pipeline on a real capture).
#
# Writes OUTDIR/e2e.csv (medians), OUTDIR/e2e_runs.csv (every run) and
# OUTDIR/summary.txt (printed at the end).
#
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
set -u
BUILD=${1:-build}
OUT=${2:-results/bench}
MODE=${3:-full}
RUNS=${BENCH_RUNS:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
case $BUILD in /*) BDIR=$BUILD ;; *) BDIR=$ROOT/$BUILD ;; esac
FLOWSIM=$BDIR/flowsim
LOOP=$BDIR/bench/pcap_loop
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
for b in "$FLOWSIM" "$LOOP"; do
    [ -x "$b" ] || { echo "e2e: $b missing (make bench builds it)" >&2; exit 2; }
done
if [ ! -x /usr/bin/time ]; then
    echo "e2e: /usr/bin/time missing (Debian package time)" >&2
    exit 2
fi
TMP=$(mktemp -d /tmp/flowsim-bench-XXXXXX)
NFCAPD_PID=""
cleanup() {
    [ -n "$NFCAPD_PID" ] && kill "$NFCAPD_PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# Every run uses one snapshot of the binaries, so a rebuild of build/ during
# the benchmark (others may be compiling in the same tree) cannot change
# what is measured half-way.
cp "$FLOWSIM" "$TMP/flowsim" && cp "$LOOP" "$TMP/pcap_loop" || { echo "e2e: cannot copy the binaries" >&2; exit 2; }
"$TMP/flowsim" version > /dev/null 2>&1 || { echo "e2e: $FLOWSIM does not run (being rebuilt?)" >&2; exit 2; }
FLOWSIM=$TMP/flowsim
LOOP=$TMP/pcap_loop

say() { echo "e2e: $*" >&2; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {if (NR == 0) print ""; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
now_ns() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.4f", (b - a) / 1e9}'; }
rss_of() { awk -F': ' '/Maximum resident set size/ {print $2}' "$1"; }

# ---- inputs ---------------------------------------------------------------------------
echo "== end-to-end benchmark ($MODE, $RUNS runs each; machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)) =="
declare -A IN_PATH IN_DESC
while IFS=$'\t' read -r name path desc; do
    [ -n "$name" ] || continue
    IN_PATH[$name]=$path
    IN_DESC[$name]=$desc
done < <(bash bench/inputs.sh "$FLOWSIM" "$OUT/inputs" "$([ "$MODE" = quick ] && echo quick)")
INGEST_INPUTS=""
for n in gen real; do [ -n "${IN_PATH[$n]:-}" ] && INGEST_INPUTS="$INGEST_INPUTS $n"; done
[ -n "$INGEST_INPUTS" ] || { say "no input could be built"; exit 2; }

# Frames (pcap_loop) and IP packets (flowsim info) per input; this also
# brings every file into the page cache before anything is timed.
declare -A FRAMES IPPKTS
for n in "${!IN_PATH[@]}"; do
    FRAMES[$n]=$("$LOOP" "${IN_PATH[$n]}" | awk '{print $2}')
    IPPKTS[$n]=$("$FLOWSIM" info "${IN_PATH[$n]}" | awk '/^packets:/ {print $2}')
    [ -n "${IPPKTS[$n]}" ] || IPPKTS[$n]=${FRAMES[$n]}
    say "input $n: ${IN_PATH[$n]}: ${FRAMES[$n]} frames, ${IPPKTS[$n]} IP packets (${IN_DESC[$n]})"
done

# ---- peers ----------------------------------------------------------------------------
TOOLS="pcap_loop flowsim_netflow flowsim_cached flowsim_decode_write flowsim_info"
declare -A SKIP
have() { command -v "$1" > /dev/null 2>&1; }
if have softflowd && have softflowctl && have nfcapd; then TOOLS="$TOOLS softflowd"
else SKIP[softflowd]="softflowd/softflowctl/nfcapd not installed (apt-get install softflowd nfdump)"; fi
if have nfpcapd; then TOOLS="$TOOLS nfpcapd"
else SKIP[nfpcapd]="nfpcapd not installed (apt-get install nfdump)"; fi
if have argus; then TOOLS="$TOOLS argus"
else SKIP[argus]="argus not installed (apt-get install argus-server)"; fi
for t in "${!SKIP[@]}"; do say "SKIP $t: ${SKIP[$t]}"; done

printf 'ARGUS_FLOW_TYPE="Bidirectional"\nARGUS_FLOW_KEY="CLASSIC_5_TUPLE"\nARGUS_FLOW_STATUS_INTERVAL=300\nARGUS_MAR_STATUS_INTERVAL=300\n' > "$TMP/argus.conf"

# ---- one timed run ------------------------------------------------------------------------
# run_cmd: runs "$@" under /usr/bin/time -v; sets WALL (s), RSS (kB), RC.
run_cmd() {
    local t0 t1
    t0=$(now_ns)
    /usr/bin/time -v -o "$TMP/time.txt" "$@" > "$TMP/stdout" 2> "$TMP/stderr"
    RC=$?
    t1=$(now_ns)
    WALL=$(secs "$t0" "$t1")
    RSS=$(rss_of "$TMP/time.txt")
}

# softflowd -r blocks in accept() on its control socket before reading the
# file (shared/peers.md): the first control connection starts the read; we
# then poll its packet counter until it has every IP packet, and a last
# connection (shutdown) makes it flush and exit. It exports NetFlow v9 to an
# nfcapd on loopback (not timed). The wall time is softflowd's whole life.
start_nfcapd() {
    local port
    mkdir -p "$TMP/sfnf"
    for _ in 1 2 3 4 5 6 7 8; do
        port=$(( 20000 + (RANDOM % 20000) ))
        nfcapd -b 127.0.0.1 -p $port -w "$TMP/sfnf" -t 86400 -B 33554432 > "$TMP/nfcapd.log" 2>&1 &
        NFCAPD_PID=$!
        sleep 0.3
        if kill -0 "$NFCAPD_PID" 2>/dev/null; then NFCAPD_PORT=$port; return 0; fi
        wait "$NFCAPD_PID" 2>/dev/null
        NFCAPD_PID=""
    done
    return 1
}
stop_nfcapd() {
    if [ -n "$NFCAPD_PID" ]; then
        kill "$NFCAPD_PID" 2>/dev/null
        wait "$NFCAPD_PID" 2>/dev/null
        NFCAPD_PID=""
    fi
    rm -rf "$TMP/sfnf"
}
run_softflowd() {
    local tr=$1 expect=$2 t0 t1 sp p last="" same=0 deadline
    WALL=""; RSS=""; RC=1
    if ! start_nfcapd; then say "softflowd: no free port for nfcapd"; return; fi
    rm -f "$TMP/sf.ctl" "$TMP/sf.pid"
    t0=$(now_ns)
    /usr/bin/time -v -o "$TMP/time.txt" softflowd -d -r "$tr" -a -n 127.0.0.1:$NFCAPD_PORT -v 9 -6 \
        -m 2000000 -t general=60 -t tcp=60 -t udp=60 -t icmp=60 -t tcp.rst=60 -t tcp.fin=60 \
        -t maxlife=300 -t expint=60 -p "$TMP/sf.pid" -c "$TMP/sf.ctl" > "$TMP/sf.log" 2>&1 &
    sp=$!
    deadline=$(( $(date +%s) + 600 ))
    while [ ! -S "$TMP/sf.ctl" ] && kill -0 $sp 2>/dev/null; do sleep 0.005; done
    while kill -0 $sp 2>/dev/null; do
        p=$(softflowctl -c "$TMP/sf.ctl" statistics 2>/dev/null | awk '/Packets processed/ {print $3}')
        [ -n "$p" ] && [ "$p" -ge "$expect" ] && break
        # a counter that stops short of the expected count (frames softflowd
        # does not count as processed) ends the wait after 2 s
        if [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" = "$last" ]; then
            same=$((same + 1)); [ $same -ge 200 ] && { say "softflowd: counter stopped at $p of $expect"; break; }
        else same=0; fi
        last=$p
        [ "$(date +%s)" -gt $deadline ] && { say "softflowd: no end after 600 s"; kill $sp; break; }
        sleep 0.01
    done
    softflowctl -c "$TMP/sf.ctl" shutdown > /dev/null 2>&1
    wait $sp
    RC=$?
    t1=$(now_ns)
    WALL=$(secs "$t0" "$t1")
    RSS=$(rss_of "$TMP/time.txt")
    stop_nfcapd
}

# run_tool TOOL INPUT: one run of TOOL on INPUT; sets WALL RSS RC.
run_tool() {
    local tool=$1 tr=${IN_PATH[$2]}
    rm -rf "$TMP/run" && mkdir -p "$TMP/run"
    case $tool in
    pcap_loop)       run_cmd "$LOOP" "$tr" ;;
    flowsim_netflow) run_cmd "$FLOWSIM" run "$tr" -m netflow --records none --timeseries none \
                         --truth-cache off -q --out "$TMP/run/fs" ;;
    flowsim_cached)  run_cmd "$FLOWSIM" run "$tr" -m netflow --records none --timeseries none \
                         --truth-cache "${CDIR[$2]}" --decode-cache "${CDIR[$2]}" -q --out "$TMP/run/fs"
                     check_caches "$TMP/run/fs" replayed ;;
    flowsim_decode_write)
                     rm -rf "$TMP/dw"
                     run_cmd "$FLOWSIM" run "$tr" -m netflow --records none --timeseries none \
                         --truth-cache "$TMP/dw" --decode-cache "$TMP/dw" -q --out "$TMP/run/fs"
                     check_caches "$TMP/run/fs" written
                     rm -rf "$TMP/dw" ;;
    flowsim_info)    run_cmd "$FLOWSIM" info "$tr" ;;
    softflowd)       run_softflowd "$tr" "${IPPKTS[$2]}" ;;
    nfpcapd)         mkdir -p "$TMP/run/nf"
                     run_cmd nfpcapd -r "$tr" -w "$TMP/run/nf" -e 300,60 -t 86400 ;;
    argus)           run_cmd argus -F "$TMP/argus.conf" -r "$tr" -w "$TMP/run/out.argus" -S 300 ;;
    esac
}

# check_caches OUTDIR replayed|written: after a run with --decode-cache, the
# manifest must say the decoded trace was replayed (and the truth read from
# its cache) or written; otherwise the run counts as failed (RC 3), so a
# cache that silently stopped working cannot pass for a fast pcap pass.
check_caches() {
    local m=$1/manifest.json dc tc
    [ "$RC" = 0 ] || return
    dc=$(grep -o '"decoded_cache": *"[a-z]*"' "$m" 2>/dev/null | head -n 1 | sed 's/.*: *"//; s/"//')
    tc=$(grep -c '"read from cache"' "$m" 2>/dev/null)
    if [ "$dc" != "$2" ] || { [ "$2" = replayed ] && [ "${tc:-0}" = 0 ]; }; then
        echo "e2e: $m: decoded_cache \"${dc:-?}\" (expected \"$2\"), truth read from cache: ${tc:-0}" >> "$TMP/stderr"
        RC=3
    fi
}

# The cache directory of flowsim_cached, one per input: warmed by one untimed
# run that writes the decoded trace and the truth, so every timed run replays
# both from it.
declare -A CDIR
for n in $INGEST_INPUTS; do
    CDIR[$n]=$TMP/cache_$n
    rm -rf "$TMP/run" && mkdir -p "$TMP/run"
    run_cmd "$FLOWSIM" run "${IN_PATH[$n]}" -m netflow --records none --timeseries none \
        --truth-cache "${CDIR[$n]}" --decode-cache "${CDIR[$n]}" -q --out "$TMP/run/fs"
    check_caches "$TMP/run/fs" written
    [ "$RC" = 0 ] || say "warming the caches of $n failed (status $RC): $(tail -n 2 "$TMP/stderr" | tr '\n' ' ')"
    say "input $n: caches warmed in ${CDIR[$n]} (${WALL}s, untimed): $(du -sh "${CDIR[$n]}/decoded" 2>/dev/null | cut -f1) decoded trace"
done

# ---- every run, written as it goes ------------------------------------------------------------
RUNS_CSV=$OUT/e2e_runs.csv
echo "section,tool,input,run,wall_s,max_rss_kb,exit" > "$RUNS_CSV"
declare -A WALLS RSSS
record() {  # SECTION TOOL INPUT RUN
    echo "$1,$2,$3,$4,$WALL,$RSS,$RC" >> "$RUNS_CSV"
    if [ "$RC" = 0 ] && [ -n "$WALL" ]; then
        WALLS["$1|$2|$3"]="${WALLS["$1|$2|$3"]:-} $WALL"
        RSSS["$1|$2|$3"]="${RSSS["$1|$2|$3"]:-} $RSS"
    else
        say "$2 on $3 (run $4) failed with status $RC: $(tail -n 2 "$TMP/stderr" 2>/dev/null | tr '\n' ' ')"
    fi
}

for r in $(seq 1 "$RUNS"); do
    for n in $INGEST_INPUTS; do
        for t in $TOOLS; do
            run_tool "$t" "$n"
            record ingest "$t" "$n" "$r"
            say "run $r $n $t: ${WALL}s ${RSS}kB"
        done
    done
done

# Pipelines in one pass: k copies of sampled-netflow 1/100 on the generated input.
PIPE_INPUT=gen; [ -n "${IN_PATH[gen]:-}" ] || PIPE_INPUT=real
for r in $(seq 1 "$RUNS"); do
    for k in 1 4 16; do
        specs=()
        for _ in $(seq 1 $k); do specs+=(-m 'sampled-netflow:rate=1/100'); done
        rm -rf "$TMP/run"
        run_cmd "$FLOWSIM" run "${IN_PATH[$PIPE_INPUT]}" "${specs[@]}" --records none \
            --timeseries none --truth-cache off -q --out "$TMP/run/fs"
        record pipelines "flowsim_sampled_x$k" "$PIPE_INPUT" "$r"
        say "run $r pipelines x$k: ${WALL}s ${RSS}kB"
    done
done

# Memory per pipeline-replicate: one sampled pipeline with 1 and REP_N
# replicates on a small real capture; (max RSS of REP_N - max RSS of 1) /
# (REP_N - 1) is what one more replicate costs.
REP_TRACE=$ROOT/traces/real/ndpi_gnutella_full.pcap
REP_SPEC='sampled-netflow:rate=1/8'
REP_N=1000; [ "$MODE" = quick ] && REP_N=100
FRAMES[replicates]=$("$LOOP" "$REP_TRACE" | awk '{print $2}')
IN_PATH[replicates]=$REP_TRACE
for r in $(seq 1 "$RUNS"); do
    for k in 1 $REP_N; do
        rm -rf "$TMP/run"
        run_cmd "$FLOWSIM" run "$REP_TRACE" -m "$REP_SPEC" --seeds $k --records none \
            --timeseries none --truth-cache off -q --out "$TMP/run/fs"
        record replicates "flowsim_replicates_x$k" replicates "$r"
        say "run $r replicates x$k: ${WALL}s ${RSS}kB"
    done
done

# Memory: the same generator profile and concurrency, duration D and 10 D;
# with the default whole-trace key totals and, when flowsim has the option,
# default (--key-totals bins: whole-trace rows are sums over bins, and bins
# held open by long flows are closed in part), with --key-totals trace
# (whole-trace per-key tables) and with --partial-close=0 (such bins are
# kept whole until their last flow is exported).
declare -A PEAKENT
MEM_TOOLS=flowsim_netflow
if "$FLOWSIM" run --help 2>&1 | grep -q -- '--key-totals'; then
    MEM_TOOLS="$MEM_TOOLS flowsim_netflow_keytotals_trace"
else
    say "SKIP memory with --key-totals trace: this flowsim has no --key-totals"
fi
if "$FLOWSIM" run --help 2>&1 | grep -q -- '--partial-close'; then
    MEM_TOOLS="$MEM_TOOLS flowsim_netflow_whole_bins"
fi
if [ -n "${IN_PATH[mem_1x]:-}" ] && [ -n "${IN_PATH[mem_10x]:-}" ]; then
    for r in $(seq 1 "$RUNS"); do
        for t in $MEM_TOOLS; do
            kt=() meter=netflow
            [ "$t" = flowsim_netflow_keytotals_trace ] && kt=(--key-totals trace)
            [ "$t" = flowsim_netflow_whole_bins ] && kt=(--partial-close=0)
            for n in mem_1x mem_10x; do
                rm -rf "$TMP/run"
                run_cmd "$FLOWSIM" run "${IN_PATH[$n]}" -m "$meter" --records none --timeseries none \
                    --truth-cache off "${kt[@]}" -q --out "$TMP/run/fs"
                record memory "$t" "$n" "$r"
                PEAKENT[$t|$n]=$(awk -F, '$6 == "all" && $7 == "total" && $9 == "mem_peak_entries" {print $10; exit}' \
                    "$TMP/run/fs/results.csv" 2>/dev/null)
                say "run $r memory $t $n: ${WALL}s ${RSS}kB"
            done
        done
    done
else
    say "SKIP memory scaling: its inputs could not be built"
fi

# ---- medians, ratios, CSV --------------------------------------------------------------------------
CSV=$OUT/e2e.csv
echo "section,tool,input,packets,runs,wall_s,pps,max_rss_kb,ratio_vs_pcap_loop,ratio_vs_flowsim,wall_runs,note" > "$CSV"
declare -A PPS MWALL MRSS
summarise() {  # SECTION TOOL INPUT -> sets PPS MWALL MRSS for the key
    local k="$1|$2|$3" w
    w=${WALLS[$k]:-}
    [ -n "$w" ] || return 1
    # shellcheck disable=SC2086
    MWALL[$k]=$(median $w)
    # shellcheck disable=SC2086
    MRSS[$k]=$(median ${RSSS[$k]})
    PPS[$k]=$(awk -v f="${FRAMES[$3]}" -v w="${MWALL[$k]}" 'BEGIN {v = 0; if (w > 0) v = f / w; printf "%.0f", v}')
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "" || b == "" || b == 0) print ""; else printf "%.3f", a / b}'; }
csv_row() {  # SECTION TOOL INPUT REF_LOOP_KEY REF_FS_KEY NOTE
    local k="$1|$2|$3" note=$6
    if ! summarise "$1" "$2" "$3"; then
        echo "$1,$2,$3,${FRAMES[$3]},0,,,,,,,failed" >> "$CSV"
        return
    fi
    local rl rf
    rl=""; rf=""
    [ -n "$4" ] && rl=$(ratio "${PPS[$k]}" "${PPS[$4]:-}")
    [ -n "$5" ] && rf=$(ratio "${PPS[$k]}" "${PPS[$5]:-}")
    echo "$1,$2,$3,${FRAMES[$3]},$(echo ${WALLS[$k]} | wc -w),${MWALL[$k]},${PPS[$k]},${MRSS[$k]},$rl,$rf,$(echo ${WALLS[$k]} | tr ' ' ';'),$note" >> "$CSV"
}
for n in $INGEST_INPUTS; do
    summarise ingest pcap_loop "$n"
    summarise ingest flowsim_netflow "$n"
    for t in $TOOLS; do
        csv_row ingest "$t" "$n" "ingest|pcap_loop|$n" "ingest|flowsim_netflow|$n" ""
    done
    for t in "${!SKIP[@]}"; do
        echo "ingest,$t,$n,${FRAMES[$n]},0,,,,,,,skipped: ${SKIP[$t]}" >> "$CSV"
    done
done
summarise pipelines flowsim_sampled_x1 "$PIPE_INPUT"
for k in 1 4 16; do
    key="pipelines|flowsim_sampled_x$k|$PIPE_INPUT"
    summarise pipelines "flowsim_sampled_x$k" "$PIPE_INPUT"
    cost=$(ratio "${MWALL[$key]:-}" "${MWALL[pipelines|flowsim_sampled_x1|$PIPE_INPUT]:-}")
    csv_row pipelines "flowsim_sampled_x$k" "$PIPE_INPUT" "ingest|pcap_loop|$PIPE_INPUT" \
        "ingest|flowsim_netflow|$PIPE_INPUT" "wall_vs_1_pipeline=$cost"
done
summarise replicates flowsim_replicates_x1 replicates
summarise replicates "flowsim_replicates_x$REP_N" replicates
PER_REP=$(awk -v a="${MRSS[replicates|flowsim_replicates_x1|replicates]:-}" \
    -v b="${MRSS[replicates|flowsim_replicates_x$REP_N|replicates]:-}" -v n=$REP_N \
    'BEGIN {if (a > 0 && b > 0) printf "%.1f", (b - a) / (n - 1)}')
csv_row replicates flowsim_replicates_x1 replicates "" "" "$REP_SPEC; 1 replicate"
csv_row replicates "flowsim_replicates_x$REP_N" replicates "" "" \
    "$REP_SPEC; $REP_N replicates; rss_per_replicate_kb=$PER_REP"
if [ -n "${IN_PATH[mem_1x]:-}" ] && [ -n "${IN_PATH[mem_10x]:-}" ]; then
    declare -A GROWTH
    for t in $MEM_TOOLS; do
        summarise memory "$t" mem_1x
        summarise memory "$t" mem_10x
        GROWTH[$t]=$(awk -v a="${MRSS[memory|$t|mem_1x]:-}" -v b="${MRSS[memory|$t|mem_10x]:-}" \
            'BEGIN {if (a > 0 && b > 0) printf "%+.1f%%", (b / a - 1) * 100}')
        csv_row memory "$t" mem_1x "" "" "duration D; netflow peak entries ${PEAKENT[$t|mem_1x]:-?}"
        csv_row memory "$t" mem_10x "" "" "duration 10 D; netflow peak entries ${PEAKENT[$t|mem_10x]:-?}; rss_growth_vs_D=${GROWTH[$t]}"
    done
fi

# ---- summary -----------------------------------------------------------------------------------------
S=$OUT/summary.txt
{
    echo "flowsim end-to-end benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "commit $(git rev-parse --short=12 HEAD 2>/dev/null)$(git diff --quiet HEAD -- 2>/dev/null || echo -dirty);" \
         "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)," \
         "$(awk '/MemTotal/ {printf "%.0f GiB RAM", $2 / 1048576}' /proc/meminfo); load at end $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "mode $MODE; median of $RUNS runs, runs interleaved across tools; whole-process wall time; pps = frames in file / median wall."
    echo "The machine is shared and noisy: compare ratios within this run, not absolute numbers across runs."
    echo
    for n in $INGEST_INPUTS; do
        echo "input $n: ${IN_PATH[$n]#"$ROOT"/}"
        echo "  ${IN_DESC[$n]}; ${FRAMES[$n]} frames, ${IPPKTS[$n]} IP packets"
        printf '  %-20s %9s %12s %11s %10s %10s\n' tool wall_s pps max_rss_kB vs_loop vs_flowsim
        for t in $TOOLS; do
            k="ingest|$t|$n"
            if [ -n "${MWALL[$k]:-}" ]; then
                printf '  %-20s %9.3f %12s %11s %10s %10s\n' "$t" "${MWALL[$k]}" "${PPS[$k]}" "${MRSS[$k]}" \
                    "$(ratio "${PPS[$k]}" "${PPS[ingest|pcap_loop|$n]:-}")" \
                    "$(ratio "${PPS[$k]}" "${PPS[ingest|flowsim_netflow|$n]:-}")"
            else
                printf '  %-20s failed\n' "$t"
            fi
        done
        for t in "${!SKIP[@]}"; do printf '  %-20s skipped: %s\n' "$t" "${SKIP[$t]}"; done
        kw="ingest|flowsim_decode_write|$n"; kc="ingest|flowsim_cached|$n"
        if [ -n "${MWALL[$kw]:-}" ] && [ -n "${MWALL[$kc]:-}" ]; then
            echo "  decoded-trace cache: first pass (writes it) $(ratio "${MWALL[$kw]}" "${MWALL[ingest|flowsim_netflow|$n]:-}")x" \
                 "the wall of flowsim_netflow; later passes (replay) $(ratio "${MWALL[$kc]}" "${MWALL[ingest|flowsim_netflow|$n]:-}")x;" \
                 "a later pass is $(ratio "${MWALL[$kw]}" "${MWALL[$kc]}")x faster than the first"
        fi
        echo
    done
    echo "pipelines in one pass: k x sampled-netflow:rate=1/100 on input $PIPE_INPUT"
    printf '  %-22s %9s %12s %11s %14s\n' pipelines wall_s pps max_rss_kB wall_vs_1
    for k in 1 4 16; do
        key="pipelines|flowsim_sampled_x$k|$PIPE_INPUT"
        [ -n "${MWALL[$key]:-}" ] || { printf '  %-22s failed\n' "$k"; continue; }
        printf '  %-22s %9.3f %12s %11s %14s\n' "$k" "${MWALL[$key]}" "${PPS[$key]}" "${MRSS[$key]}" \
            "$(ratio "${MWALL[$key]}" "${MWALL[pipelines|flowsim_sampled_x1|$PIPE_INPUT]:-}")"
    done
    echo "  (target of issue 6: 16 pipelines cost at most 2x one)"
    echo
    echo "memory per pipeline-replicate: $REP_SPEC on ${REP_TRACE#"$ROOT"/}, --seeds 1 and $REP_N"
    printf '  %-22s %9s %11s\n' replicates wall_s max_rss_kB
    for k in 1 $REP_N; do
        key="replicates|flowsim_replicates_x$k|replicates"
        [ -n "${MWALL[$key]:-}" ] || { printf '  %-22s failed\n' "$k"; continue; }
        printf '  %-22s %9.3f %11s\n' "$k" "${MWALL[$key]}" "${MRSS[$key]}"
    done
    echo "  max RSS per replicate: ${PER_REP:-?} kB ((RSS of $REP_N - RSS of 1) / $((REP_N - 1)))"
    echo
    if [ -n "${MRSS[memory|flowsim_netflow|mem_1x]:-}" ]; then
        echo "memory: flowsim run -m netflow, same generator profile and concurrency, duration D and 10 D"
        printf '  %-36s %-8s %10s %9s %11s %20s\n' tool input frames wall_s max_rss_kB netflow_peak_entries
        for t in $MEM_TOOLS; do
            for n in mem_1x mem_10x; do
                if [ -n "${MWALL[memory|$t|$n]:-}" ]; then
                    printf '  %-36s %-8s %10s %9.3f %11s %20s\n' "$t" "$n" "${FRAMES[$n]}" "${MWALL[memory|$t|$n]}" \
                        "${MRSS[memory|$t|$n]}" "${PEAKENT[$t|$n]:-?}"
                else
                    printf '  %-36s %-8s failed\n' "$t" "$n"
                fi
            done
        done
        for t in $MEM_TOOLS; do
            echo "  max RSS growth 10 D vs D, $t: ${GROWTH[$t]:-?} (target of issue 6: at most +20%)"
        done
        echo "  ${IN_DESC[mem_1x]}; ${IN_DESC[mem_10x]}"
    fi
    echo
    echo "commands (TRACE = the input; median of $RUNS):"
    echo "  pcap_loop        $BUILD/bench/pcap_loop TRACE   (binaries copied to a temporary directory first)"
    echo "  flowsim_netflow  $BUILD/flowsim run TRACE -m netflow --records none --timeseries none --truth-cache off -q --out DIR"
    echo "  flowsim_cached   $BUILD/flowsim run TRACE -m netflow --records none --timeseries none --truth-cache C --decode-cache C -q --out DIR"
    echo "                   (C: one directory per input, warmed by one untimed run: every timed run replays the decoded trace and reads the truth from C)"
    echo "  flowsim_decode_write  the same command with a fresh, empty C each run: the first pass, which writes the decoded trace and the truth cache"
    echo "  flowsim_info     $BUILD/flowsim info TRACE"
    echo "  softflowd        softflowd -d -r TRACE -a -n 127.0.0.1:PORT -v 9 -6 -m 2000000 -t ...=60 -t maxlife=300 (nfcapd on PORT; kicked and stopped by softflowctl)"
    echo "  nfpcapd          nfpcapd -r TRACE -w DIR -e 300,60 -t 86400"
    echo "  argus            argus -F argus.conf -r TRACE -w out.argus -S 300 (Bidirectional, CLASSIC_5_TUPLE, status 300 s)"
    echo "  pipelines        $BUILD/flowsim run TRACE -m 'sampled-netflow:rate=1/100' (x k) --records none --timeseries none --truth-cache off -q"
    echo "  replicates       $BUILD/flowsim run ${REP_TRACE#"$ROOT"/} -m '$REP_SPEC' --seeds K --records none --timeseries none --truth-cache off -q --out DIR   (K = 1, $REP_N)"
    echo "  memory           $BUILD/flowsim run TRACE -m netflow --records none --timeseries none --truth-cache off -q --out DIR"
    echo "                   (flowsim_netflow_keytotals_trace: the same with --key-totals trace;"
    echo "                    flowsim_netflow_whole_bins: the same with --partial-close=0)"
} > "$S"
cat "$S"
