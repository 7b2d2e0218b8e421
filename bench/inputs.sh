#!/bin/bash
# flowsim bench — scaled inputs for the end-to-end benchmark, cached.
#
#   bench/inputs.sh FLOWSIM DIR [quick]
#
# Builds into DIR (normally results/bench/inputs/) and prints one line per
# input that exists afterwards: NAME<TAB>PATH<TAB>DESCRIPTION. Messages go to
# stderr. Every file has a FILE.recipe beside it holding the exact recipe; a
# later call reuses the file when the recipe is unchanged, so a second
# `make bench` builds nothing.
#
# Inputs:
#   gen      generator, backbone profile scaled up: 1.2M packets, about 112k
#            concurrent connections (quick: 250k packets, 22k)
#   real     the real captures replicated: gnutella + bittorrent + tls2 per
#            round, each round time-shifted (editcap -t) and IP-randomised
#            (tcprewrite --seed=ROUND), rounds concatenated (mergecap -a):
#            45 rounds = 1.02M frames (quick: 5 rounds)
#   mem_1x   generator in steady state (500 connections/s, bounded flow
#   mem_10x  durations, 120 s warm-up), duration D = 60 s and 10 D, for the
#            memory-scaling check (quick: 200 connections/s)
#
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
set -u
FLOWSIM=$1
DIR=$2
QUICK=${3:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REAL=$ROOT/traces/real
mkdir -p "$DIR"

log() { echo "inputs: $*" >&2; }

# fresh NAME RECIPE: true when DIR/NAME exists and was built by RECIPE
fresh() { [ -s "$DIR/$1" ] && [ -f "$DIR/$1.recipe" ] && [ "$(cat "$DIR/$1.recipe")" = "$2" ]; }

# gen_input NAME DESCRIPTION PARAMS: flowsim gen, backbone profile, seed 1
gen_input() {
    local name=$1 desc=$2 params=$3
    local recipe="flowsim gen --profile backbone -p $params --seed 1"
    if ! fresh "$name" "$recipe"; then
        log "generating $name ($recipe)"
        rm -f "$DIR/$name" "$DIR/$name.recipe"
        local tmp
        tmp=$(mktemp -d "$DIR/gen.XXXXXX")
        if ! "$FLOWSIM" gen --profile backbone -p "$params" --seed 1 -o "$tmp/$name" >&2; then
            log "SKIP $name: the generator failed"
            rm -rf "$tmp"
            return
        fi
        mv "$tmp/$name.json" "$DIR/$name.json" 2>/dev/null
        mv "$tmp/$name" "$DIR/$name"
        rm -rf "$tmp"
        echo "$recipe" > "$DIR/$name.recipe"
    fi
    printf '%s\t%s\t%s\n' "${name%.pcap}" "$DIR/$name" "$desc"
}

if [ "$QUICK" = quick ]; then
    GEN_RATE=2000; MEM_RATE=200; MEM_D=120; ROUNDS=5
else
    GEN_RATE=10000; MEM_RATE=500; MEM_D=120; ROUNDS=45
fi

# ---- generator ---------------------------------------------------------------
# pkt_rate=0.2 stretches flows (about 12 s for a typical one) so concurrency
# is high for the packet count; warmup=60s starts the trace in steady state.
gen_input "gen_backbone_r${GEN_RATE}_d10s.pcap" \
    "flowsim gen backbone, flow_rate=$GEN_RATE/s, pkt_rate=0.2, 10 s" \
    "flow_rate=$GEN_RATE,pkt_rate=0.2,duration=10s,warmup=60s" | sed 's/^[^\t]*/gen/'

# ---- replicated real captures ----------------------------------------------------
real_name="real_x${ROUNDS}.pcap"
SRCS="ndpi_gnutella_full.pcap ndpi_bittorrent_transmission.pcapng pcapplusplus_tls2.pcap"
real_recipe="rounds=$ROUNDS base=1700000000 step=700s of $SRCS: editcap -F pcap -t OFF; tcprewrite --seed=ROUND; mergecap -F pcap; mergecap -F pcap -a"
missing_tools=""
for t in editcap mergecap capinfos tcprewrite; do
    command -v $t > /dev/null || missing_tools="$missing_tools $t"
done
if fresh "$real_name" "$real_recipe"; then
    printf 'real\t%s\t%s\n' "$DIR/$real_name" "$ROUNDS rounds of gnutella+bittorrent+tls2, time-shifted, IP-randomised"
elif [ -n "$missing_tools" ]; then
    log "SKIP real: missing$missing_tools (Debian packages wireshark-common, tcpreplay)"
else
    log "building $real_name ($ROUNDS rounds)"
    work=$(mktemp -d "$DIR/real.XXXXXX")
    ok=1
    declare -A START
    for f in $SRCS; do
        if [ ! -f "$REAL/$f" ]; then log "SKIP real: $REAL/$f missing"; ok=0; break; fi
        s=$(capinfos -a -S -T -r "$REAL/$f" | awk -F'\t' '{print $2}')
        START[$f]=${s%.*}
    done
    build_round() {  # ROUND: builds $work/round_ROUND.pcap
        local i=$1 parts="" f off
        for f in $SRCS; do
            off=$(( 1700000000 + (i - 1) * 700 - ${START[$f]} ))
            editcap -F pcap -t $off "$REAL/$f" "$work/s${i}_$f.pcap" || return 1
            tcprewrite --seed=$i --infile="$work/s${i}_$f.pcap" --outfile="$work/r${i}_$f.pcap" || return 1
            rm -f "$work/s${i}_$f.pcap"
            parts="$parts $work/r${i}_$f.pcap"
        done
        mergecap -F pcap -w "$work/round_$i.pcap" $parts || return 1
        rm -f $parts
    }
    if [ $ok = 1 ]; then
        jobs_max=$(nproc 2>/dev/null || echo 2)
        for i in $(seq 1 $ROUNDS); do
            build_round $i > /dev/null 2>&1 &
            while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
        done
        wait
        rounds=""
        for i in $(seq 1 $ROUNDS); do
            [ -s "$work/round_$i.pcap" ] || { log "SKIP real: round $i failed"; ok=0; break; }
            rounds="$rounds $work/round_$i.pcap"
        done
    fi
    if [ $ok = 1 ] && mergecap -F pcap -a -w "$DIR/$real_name.tmp" $rounds; then
        mv "$DIR/$real_name.tmp" "$DIR/$real_name"
        echo "$real_recipe" > "$DIR/$real_name.recipe"
        printf 'real\t%s\t%s\n' "$DIR/$real_name" "$ROUNDS rounds of gnutella+bittorrent+tls2, time-shifted, IP-randomised"
    else
        rm -f "$DIR/$real_name.tmp"
        [ $ok = 1 ] && log "SKIP real: mergecap failed"
    fi
    rm -rf "$work"
fi

# ---- memory scaling: same concurrency, D and 10 D ---------------------------------------
# Flow sizes capped at 1,000 packets and pkt_rate=1 bound flow durations
# (a few minutes for the longest: NetFlow's longest record on the 10 D input
# lasts about 7 min), so a 120 s warm-up starts the trace in steady state
# and the concurrency is the same all along (about 1,750 connections at
# 500/s). D = 120 s: two whole analysis bins (the default --bin 60s), so the
# short trace, like the long one, has a bin being evaluated while the next
# one fills (a one-bin trace never holds two bins at once and would favour
# the short trace).
MEM_P="flow_rate=$MEM_RATE,pkt_rate=1,size_max=1000,warmup=120s"
gen_input "gen_steady_r${MEM_RATE}_d${MEM_D}s.pcap" \
    "flowsim gen backbone, $MEM_P, duration ${MEM_D}s" \
    "$MEM_P,duration=${MEM_D}s" | sed 's/^[^\t]*/mem_1x/'
gen_input "gen_steady_r${MEM_RATE}_d$((MEM_D * 10))s.pcap" \
    "flowsim gen backbone, $MEM_P, duration $((MEM_D * 10))s" \
    "$MEM_P,duration=$((MEM_D * 10))s" | sed 's/^[^\t]*/mem_10x/'
exit 0
