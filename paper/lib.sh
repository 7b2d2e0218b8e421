# flowsim paper — shell functions sourced by every experiment (paper/exp/*.sh).
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
#
# Environment (set by paper/Makefile): MODE (smoke, quick, full), OUT (the
# output root, e.g. results/paper), FLOWSIM (the binary), ROOT (the
# repository). Each experiment writes $OUT/<exp>/<trace>/ (one flowsim run:
# manifest.json, results.csv, timeseries.csv, records/, command.txt,
# time.txt, and the figures next to them), $OUT/<exp>/claims.csv (its rows of
# the reproduction table) and $OUT/<exp>/section.tex (its part of the report).
set -euo pipefail
: "${MODE:=quick}" "${OUT:?OUT not set (run through paper/Makefile)}" "${FLOWSIM:?}" "${ROOT:?}"
case "$MODE" in smoke|quick|full) ;; *) echo "MODE must be smoke, quick or full" >&2; exit 1 ;; esac
PAPER=$ROOT/paper
PLOTS=$ROOT/plots
AWK=${AWK:-awk}
export LC_ALL=C

log() { echo "[paper/$EXP] $*" >&2; }

# A synthetic trace: gen NAME PROFILE SEED [PARAMS]; prints its path.
# Regenerated when missing or when the command that made it changed.
gen() {
    local name=$1 profile=$2 seed=$3 params=${4:-}
    local f=$OUT/traces/$name.pcap
    local cmd="gen --profile $profile --seed $seed${params:+ -p $params}"
    mkdir -p "$OUT/traces"
    if [ ! -s "$f" ] || [ "$(cat "$f.cmd" 2>/dev/null)" != "$cmd" ]; then
        log "flowsim $cmd -o $f"
        # shellcheck disable=SC2086
        "$FLOWSIM" gen --profile "$profile" --seed "$seed" ${params:+-p "$params"} -o "$f.tmp.pcap" > /dev/null
        mv "$f.tmp.pcap" "$f"; mv "$f.tmp.pcap.json" "$f.json"
        echo "$cmd" > "$f.cmd"
    fi
    echo "$f"
}

# One flowsim run: frun DIR TRACE... -- RUN-OPTIONS (-m specs, --seeds, ...).
# DIR is emptied first; the experiment's stamp (made by paper/Makefile after
# the whole experiment) tells complete runs from interrupted ones.
# command.txt holds the command line, time.txt wall-clock and CPU seconds.
frun() {
    local dir=$1; shift
    local traces=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do traces+=("$1"); shift; done
    shift
    rm -rf "$dir"; mkdir -p "$dir"
    local cmd=("$FLOWSIM" run "${traces[@]}" "$@" --out "$dir" --progress no --truth-cache "$OUT/cache")
    printf '%q ' "${cmd[@]}" > "$dir/command.txt"; echo >> "$dir/command.txt"
    log "run $(basename "$(dirname "$dir")")/$(basename "$dir"): ${#traces[@]} trace(s), $(grep -o -- ' -m ' "$dir/command.txt" | wc -l) pipelines"
    local rc=0 TIMEFORMAT='%R %U %S'
    { time "${cmd[@]}" > "$dir/stdout.txt" 2> "$dir/stderr.txt" || rc=$?; } 2> "$dir/time.raw"
    if [ $rc -ne 0 ]; then
        cat "$dir/stderr.txt" >&2; log "flowsim run failed (exit $rc), see $dir"; exit 2
    fi
    local wall user sys
    read -r wall user sys < "$dir/time.raw"
    echo "wall_s=$wall user_s=$user sys_s=$sys" > "$dir/time.txt"; rm -f "$dir/time.raw"
}

# plot TYPE RUNDIR NAME [plot.sh options]: NAME.pdf and NAME.png in RUNDIR.
plot() {
    local type=$1 dir=$2 name=$3; shift 3
    bash "$PLOTS/plot.sh" "$type" "$dir" "$dir/$name.pdf" --also "$dir/$name.png" "$@" > /dev/null || return $?
    echo "$dir/$name.pdf" >> "$OUT/$EXP/figures.txt"
}

# Summary over replicates of a run (plots/summarize.awk), cached as summary.csv.
summary() {
    local dir=$1
    if [ ! -s "$dir/summary.csv" ] || [ "$dir/results.csv" -nt "$dir/summary.csv" ]; then
        $AWK -f "$PLOTS/lib.awk" -f "$PLOTS/summarize.awk" "$dir/results.csv" > "$dir/summary.csv.tmp"
        mv "$dir/summary.csv.tmp" "$dir/summary.csv"
    fi
    echo "$dir/summary.csv"
}

# claims awk: awk -f lib.awk -f claims.awk -f PROGRAM
cawk() { $AWK -f "$PLOTS/lib.awk" -f "$PAPER/claims.awk" "$@"; }

# TeX-escaped text on stdout.
texesc() { sed -e 's/\\/\\textbackslash{}/g' -e 's/[&%$#_{}]/\\&/g' -e 's/~/\\textasciitilde{}/g' -e 's/\^/\\textasciicircum{}/g' -e 's/|/\\textbar{}/g' -e 's/</\\textless{}/g' -e 's/>/\\textgreater{}/g' <<< "$1"; }

# A trace's basename without extension (the run directory's name).
tname() { local b; b=$(basename "$1"); echo "${b%%.*}"; }

# The (first) trace of a run, from its manifest.
trace_of() { sed -n 's/^ *"path": "\(.*\)",*$/\1/p' "$1/manifest.json" | head -1 | sed 's/\\\//\//g'; }

# Is this trace one of the real captures in traces/real/?
is_real() { case "$(cd "$(dirname "$1")" && pwd)" in "$ROOT/traces/real") return 0 ;; *) return 1 ;; esac; }

# Trace facts for the report: packets, flows, duration. From the generator's
# sidecar for synthetic traces, else from `flowsim info` (small real captures).
trace_facts() {
    if [ -f "$1.json" ]; then
        tr -d ' \n' < "$1.json" | $AWK '{ p = $0; sub(/.*"totals":\{/, "", p)
            n = split(p, kv, ","); for (i = 1; i <= n; i++) { split(kv[i], a, ":"); gsub(/"/, "", a[1]); t[a[1]] = a[2] }
            printf "%d packets, %d flows, %.0f s", t["packets"], t["flows"], (t["last_ts_ns"] - t["first_ts_ns"]) / 1e9 }'
    else
        "$FLOWSIM" info "$1" | $AWK -F': ' '$1 == "packets" { p = $2 } $1 == "flows" { f = $2 } $1 == "duration_s" { d = $2 }
            END { printf "%d packets, %d flows, %.0f s", p, f, d }'
    fi
}

# Start an experiment's outputs: figures list and claims file are rewritten.
begin_outputs() {
    mkdir -p "$OUT/$EXP"
    : > "$OUT/$EXP/figures.txt"
    echo "claim,trace,statement,paper_number,setting,quantity,value,ci_lo,ci_hi,verdict,note" > "$OUT/$EXP/claims.csv.tmp"
}
end_outputs() { mv "$OUT/$EXP/claims.csv.tmp" "$OUT/$EXP/claims.csv"; }

# Run directories of this experiment that exist (one per trace).
run_dirs() { local d; for d in "$OUT/$EXP"/*/; do [ -f "$d/results.csv" ] && echo "${d%/}"; done; return 0; }

# A figure made by plot(), placed inline (not floating) at half the text
# width, two per row; its path relative to $OUT, where LaTeX runs.
# texfig PATH CAPTION; texfig_break ends a row early (e.g. before a heading).
FIGN=0
texfig() {
    local rel=${1#"$OUT"/}
    printf '\\begin{minipage}[t]{0.47\\linewidth}\\centering\\includegraphics[width=\\linewidth]{%s}\n\\captionof{figure}{%s}\\end{minipage}' "$rel" "$2"
    FIGN=$((FIGN + 1))
    if [ $((FIGN % 2)) = 0 ]; then printf '\\par\\medskip\n\n'; else printf '\\hfill\n'; fi
}
texfig_break() { [ $((FIGN % 2)) = 1 ] && printf '\\par\\medskip\n\n'; FIGN=0; return 0; }

# Dispatch: EXP.sh [all|run|figures]. Experiments define run_exp and report.
main() {
    case "${1:-all}" in
        run) run_exp ;;
        figures) begin_outputs; report; end_outputs ;;
        all) run_exp; begin_outputs; report; end_outputs ;;
        *) echo "usage: $0 [all|run|figures]" >&2; exit 1 ;;
    esac
}
