#!/usr/bin/env bash
# flowsim — plot one figure from one run directory (what `flowsim run --out`
# wrote: results.csv, timeseries.csv, manifest.json, records/).
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: plots/plot.sh FIGURE-TYPE RESULTS_DIR OUT.png|OUT.pdf [--also OUT2.pdf|png] [options]

Figure types (each is one gnuplot script in plots/, all loading plots/style.gp):
  err-mem       error vs peak memory, one curve per algorithm     (err_vs_mem.gp)
  err-export    error vs export volume, one curve per algorithm   (err_vs_mem.gp)
  err-rate      error vs a parameter, by default the sampling rate as 1/N (err_vs_param.gp)
  metric-param  any metric vs a parameter (e.g. mem_peak_entries vs t)  (err_vs_param.gp)
  err-size      per-flow mean relative error by flow-size decade, optional theory (err_by_size.gp)
  export-time   export bytes per second over the trace            (export_time.gp)
  mem-time      flow-memory entries per second over the trace     (mem_time.gp)
  replicates    every replicate's value of a metric, with the mean and its CI (replicates.gp)

Every point is the mean over the run's replicates; bars and bands are 95 %
confidence intervals of the mean (Student t, n-1 degrees of freedom) from the
replicate spread. For signed errors (rel_err_*) the statistic is the mean of
|error|. The numbers behind the figure are written next to it as OUT.dat.

Options:
  --metric M       y metric (default: rel_err_bytes; err-size are_packets;
                   export-time export_bytes; mem-time entries_max; metric-param mem_peak_entries)
  --agg A          aggregate of the y metric (default total; err-size flow)
  --key K          key of the y metric (default all)
  --stat S         absmean (mean |value|) or mean (default absmean for rel_err_*)
  --x M            x metric of err-mem / err-export (default mem_peak_entries / export_bytes)
  --param NAME     x parameter of err-rate / metric-param (default rate); "t|bin"
                   takes the first of these parameters a pipeline has
  --invert         plot 1/value of the parameter (err-rate does this by default: N of 1/N)
  --no-invert      plot the value itself
  --series LIST    what makes a series: comma list of algorithm, pipeline, params,
                   rest (params without --param) or parameter names (default per type)
  --algos LIST     only these algorithms (comma list)
  --pipelines LIST only these pipelines (comma list of ids: p0,p3)
  --where REGEX    only pipelines whose "algorithm:params" matches REGEX
  --labels MAP     series titles per pipeline: "p0=NetFlow;p1=Sampled 1/16"
  --theory R,P     err-size: theoretical curves for packet sampling at rate R and
                   flow slicing at probability P (q = 1), from the flow sizes of an
                   exact pipeline's records (see --sizes and plots/theory.awk)
  --sizes PN       pipeline whose records/PN_r0.csv hold exact flow sizes
                   (default: the first netflow pipeline)
  --theory-cols C  theory columns to draw (default ps_exact,ps_normal,sl_exact,sl_normal)
  --from S --to S  time range in seconds (export-time, mem-time)
  --shade A:B      shade the interval A..B seconds (e.g. a flood)
  --budget N       mem-time: draw a horizontal line at N entries
  --also OUT2      also write the figure in OUT2's format (one gnuplot run)
  --title T  --xlabel T  --ylabel T  --logx yes|no  --logy yes|no  --keypos "top left"

Exit status: 0 figure written; 1 usage; 2 error; 3 nothing to plot (the run
lacks the data this figure needs, e.g. no such metric or no time series).
EOF
}

[ $# -ge 3 ] || { usage >&2; exit 1; }
case "$1" in -h|--help) usage; exit 0 ;; esac
TYPE=$1 DIR=${2%/} OUT=$3; shift 3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
AWK=${AWK:-awk}

also="" pipes="" metric="" agg="" key="all" stat="" xmetric="" xparam="" invert="" series="" algos="" where="" labels=""
theory="" sizes="" tcols="ps_exact,ps_normal,sl_exact,sl_normal" from="" to="" shade="" budget=""
title="" xlab="" ylab="" logx="" logy="" keypos=""
while [ $# -gt 0 ]; do
    case "$1" in
        --metric) metric=$2; shift ;; --agg) agg=$2; shift ;; --key) key=$2; shift ;;
        --stat) stat=$2; shift ;; --x) xmetric=$2; shift ;; --param) xparam=$2; shift ;;
        --invert) invert=1 ;; --no-invert) invert=0 ;;
        --series) series=$2; shift ;; --algos) algos=$2; shift ;; --pipelines) pipes=$2; shift ;; --where) where=$2; shift ;;
        --labels) labels=$2; shift ;; --theory) theory=$2; shift ;; --sizes) sizes=$2; shift ;;
        --theory-cols) tcols=$2; shift ;; --from) from=$2; shift ;; --to) to=$2; shift ;;
        --shade) shade=$2; shift ;; --also) also=$2; shift ;; --budget) budget=$2; shift ;;
        --title) title=$2; shift ;; --xlabel) xlab=$2; shift ;; --ylabel) ylab=$2; shift ;;
        --logx) logx=$2; shift ;; --logy) logy=$2; shift ;; --keypos) keypos=$2; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "plot.sh: unknown option $1 (plots/plot.sh --help)" >&2; exit 1 ;;
    esac
    shift
done
for o in "$OUT" ${also:+"$also"}; do
    case "$o" in *.png|*.pdf) ;; *) echo "plot.sh: output must end in .png or .pdf: $o" >&2; exit 1 ;; esac
done
yn() { case "$1" in yes|1|y|true) echo 1 ;; *) echo 0 ;; esac; }
skip() { echo "plot.sh: skip $OUT: $*" >&2; exit 3; }

[ -f "$DIR/results.csv" ] || skip "no $DIR/results.csv"
command -v gnuplot > /dev/null || { echo "plot.sh: gnuplot is not installed (Debian: gnuplot-nox)" >&2; exit 2; }
mkdir -p "$(dirname "$OUT")"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/flowsim-plot.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
DAT=${OUT%.*}.dat

# Run description for default titles: trace file names and replicates.
traces=$(sed -n 's/^ *"path": "\(.*\)",*$/\1/p' "$DIR/manifest.json" 2>/dev/null | sed 's/\\\//\//g' |
         while read -r p; do basename "$p"; done | paste -sd' ' -)
reps=$(awk -F, 'NR > 1 && $4 + 1 > n { n = $4 + 1 } END { print n + 0 }' "$DIR/results.csv")
plural=s; [ "$reps" = 1 ] && plural=""
desc="${traces:-$(basename "$DIR")}, $reps replicate$plural"

# Every pipeline's full parameter set (defaults included) from the manifest:
# lines "pN,name,value"; record-stage parameters as stage.name.
fullparams=$TMP/params.csv
$AWK '
    /"pipeline": "p[0-9]+"/ { match($0, /"p[0-9]+"/); cur = substr($0, RSTART + 1, RLENGTH - 2); pre = ""; next }
    cur != "" && /"stage": "/ { s = $0; sub(/^[^:]*: *"/, "", s); sub(/".*$/, "", s); pre = s "."; next }
    cur != "" && /^ *"[a-z_0-9]+": \{ *$/ { n = $0; gsub(/^ *"|": \{ *$/, "", n); name = n; next }
    cur != "" && /^ *"value": "/ { v = $0; sub(/^ *"value": "/, "", v); sub(/",? *$/, "", v); gsub(/\\\//, "/", v)
                                   print cur "," pre name "," v }
' "$DIR/manifest.json" > "$fullparams" 2>/dev/null || : > "$fullparams"

summ() {  # summarize.awk with extra -v assignments; result on stdout
    $AWK -f "$HERE/lib.awk" -f "$HERE/summarize.awk" "$@"
}
prep() {
    set +e
    $AWK -v titles_file="$TMP/titles" -v clip_file="$TMP/clipped" -v fullparams="$fullparams" -v pipelines="$pipes" "${@:1:$#-1}" \
        -f "$HERE/lib.awk" -f "$HERE/prep.awk" "${@: -1}" > "$DAT"
    local rc=$?
    set -e
    [ $rc -eq 3 ] && { rm -f "$DAT"; skip "no data for this figure (metric ${metric:-?}, aggregate ${agg:-total}, key $key)"; }
    [ $rc -eq 0 ] || { echo "plot.sh: preparing the data failed" >&2; exit 2; }
}
gp() {  # gnuplot SCRIPT with the common variables plus "$@" (name=value strings)
    local script=$1; shift
    local titles=""
    while IFS= read -r t; do titles="$titles \"$t\""; done < "$TMP/titles"
    local args="plotsdir='$HERE'; out='$OUT'; out2='$also'; dat='$DAT'; ttl='${title//\'/}'; xlab='${xlab//\'/}'; ylab='${ylab//\'/}'"
    args="$args; logx=$(yn "$logx"); logy=$(yn "$logy")"
    [ -n "$keypos" ] && args="$args; keypos='$keypos'"
    if [ -s "$TMP/clipped" ]; then
        local nclip nzero note=""
        read -r nclip nzero < "$TMP/clipped"
        [ "${nclip:-0}" != 0 ] && note="error bars cut at 1/10 of the value (log axis)"
        [ "${nzero:-0}" != 0 ] && note="${note:+$note; }$nzero point(s) of value 0 (exact) not drawn"
        [ -n "$note" ] && args="$args; clipnote='$note'"
    fi
    local a; for a in "$@"; do args="$args; $a"; done
    gnuplot -e "$args" -e "titles='${titles//\'/}'" "$HERE/$script" 2> "$TMP/gp.err" ||
        { cat "$TMP/gp.err" >&2; echo "plot.sh: gnuplot failed on $script" >&2; exit 2; }
    grep -v '^$' "$TMP/gp.err" | grep -iv 'warning: .*empty' >&2 || true
}
metric_label() {
    case "$1" in
        rel_err_*) echo "mean |relative error| of ${1#rel_err_}" ;;
        wmre_*) echo "weighted mean relative error of ${1#wmre_}" ;;
        are_*) echo "per-flow mean relative error of ${1#are_}" ;;
        mem_peak_entries) echo "peak flow memory (entries)" ;;
        mem_mean_entries) echo "mean flow memory (entries)" ;;
        export_bytes) echo "export volume (bytes)" ;;
        export_records) echo "exported records" ;;
        *) echo "$1" ;;
    esac
}

case "$TYPE" in
err-mem|err-export)
    metric=${metric:-rel_err_bytes}; agg=${agg:-total}
    [ "$TYPE" = err-mem ] && xmetric=${xmetric:-mem_peak_entries} || xmetric=${xmetric:-export_bytes}
    summ -v bins=all "$DIR/results.csv" > "$TMP/s.csv"
    prep -v kind=xy-metric -v ymetric="$metric" -v yagg="$agg" -v ykey="$key" -v ystat="$stat" \
         -v xmetric="$xmetric" -v series="${series:-algorithm}" -v algos="$algos" -v where="$where" \
         -v labels="$labels" -v logy="$(yn "${logy:-yes}")" "$TMP/s.csv"
    title=${title:-"${metric} ($agg) vs ${xmetric} — $desc"}
    xlab=${xlab:-"$(metric_label "$xmetric"), mean over replicates"}
    ylab=${ylab:-"$(metric_label "$metric") ($agg)"}
    logx=${logx:-yes} logy=${logy:-yes}
    gp err_vs_mem.gp ;;
err-rate|metric-param)
    if [ "$TYPE" = err-rate ]; then metric=${metric:-rel_err_bytes}; xparam=${xparam:-rate}; invert=${invert:-1}
    else metric=${metric:-mem_peak_entries}; xparam=${xparam:-rate}; invert=${invert:-0}; fi
    agg=${agg:-total}
    summ -v bins=all "$DIR/results.csv" > "$TMP/s.csv"
    prep -v kind=xy-param -v ymetric="$metric" -v yagg="$agg" -v ykey="$key" -v ystat="$stat" \
         -v xparam="$xparam" -v xinvert="$invert" -v series="${series:-algorithm,rest}" -v algos="$algos" \
         -v where="$where" -v labels="$labels" -v logy="$(yn "${logy:-yes}")" "$TMP/s.csv"
    title=${title:-"${metric} ($agg) vs $xparam — $desc"}
    if [ "$invert" = 1 ]; then xlab=${xlab:-"1/$xparam (N of 1-in-N)"}; else xlab=${xlab:-"$xparam"}; fi
    ylab=${ylab:-"$(metric_label "$metric")"}
    logx=${logx:-yes} logy=${logy:-yes}
    gp err_vs_param.gp ;;
err-size)
    metric=${metric:-are_packets}
    summ -v bins=all -v aggs='^flow$' "$DIR/results.csv" > "$TMP/s.csv"
    prep -v kind=size -v ymetric="$metric" -v series="${series:-algorithm,params}" -v algos="$algos" \
         -v where="$where" -v labels="$labels" -v logy="$(yn "${logy:-yes}")" "$TMP/s.csv"
    title=${title:-"per-flow error by flow size — $desc"}
    xlab=${xlab:-"true flow size (packets per flow and analysis bin)"}
    ylab=${ylab:-"$(metric_label "$metric") (mean over flows)"}
    logy=${logy:-yes}
    theo=""
    if [ -n "$theory" ]; then
        if [ -z "$sizes" ]; then
            sizes=$($AWK -F, 'NR > 1 && $2 == "netflow" { print $1; exit }' "$DIR/results.csv")
        fi
        [ -n "$sizes" ] && [ -f "$DIR/records/${sizes}_r0.csv" ] ||
            { echo "plot.sh: --theory needs an exact pipeline's records (--sizes PN, records/PN_r0.csv)" >&2; exit 2; }
        theo=${OUT%.*}.theory.csv
        $AWK -v sampling="${theory%%,*}" -v slicing="${theory##*,}" -f "$HERE/lib.awk" -f "$HERE/theory.awk" \
            "$DIR/records/${sizes}_r0.csv" > "$theo"
        tt=""
        for c in ${tcols//,/ }; do
            case $c in
                ps_exact) tt="$tt \"packet sampling ${theory%%,*}: exact\"" ;;
                ps_normal) tt="$tt \"packet sampling ${theory%%,*}: normal approx.\"" ;;
                sl_exact) tt="$tt \"flow slicing p=${theory##*,}: exact\"" ;;
                sl_normal) tt="$tt \"flow slicing p=${theory##*,}: eq. 7, normal approx.\"" ;;
                *) echo "plot.sh: unknown theory column $c" >&2; exit 1 ;;
            esac
        done
        colnums=$(for c in ${tcols//,/ }; do head -1 "$theo" | tr ',' '\n' | grep -nx "$c" | cut -d: -f1; done | paste -sd' ' -)
        gp err_by_size.gp "theo='$theo'" "theory_cols='$colnums'" "theory_titles='$tt'"
    else
        gp err_by_size.gp "theo=''"
    fi ;;
export-time|mem-time)
    if [ "$TYPE" = export-time ]; then metric=${metric:-export_bytes}; else metric=${metric:-entries_max}; fi
    [ -s "$DIR/timeseries.csv" ] || skip "no $DIR/timeseries.csv"
    summ -v metrics="^$metric\$" "$DIR/results.csv" "$DIR/timeseries.csv" > "$TMP/s.csv"
    prep -v kind=ts -v ymetric="$metric" -v series="${series:-pipeline}" -v algos="$algos" -v where="$where" \
         -v labels="$labels" -v from="$from" -v to="$to" -v logy="$(yn "${logy:-no}")" "$TMP/s.csv"
    if [ -z "$labels" ] && [ "${series:-pipeline}" = pipeline ]; then   # readable titles: the spec
        : > "$TMP/titles2"
        while IFS= read -r p; do
            s=$($AWK -F, -v p="$p" '$1 == p { print $2 ($3 == "" ? "" : ": " $3); exit }' "$TMP/s.csv")
            echo "${s//;/ }" >> "$TMP/titles2"
        done < "$TMP/titles"
        mv "$TMP/titles2" "$TMP/titles"
    fi
    title=${title:-"${metric} per second — $desc"}
    xlab=${xlab:-"trace time (s)"}
    if [ "$TYPE" = export-time ]; then ylab=${ylab:-"export (${metric#export_}/s)"}; else ylab=${ylab:-"flow memory ($metric)"}; fi
    keypos=${keypos:-"top right"}
    extra=()
    [ -n "$shade" ] && extra+=("shade_a=${shade%%:*}" "shade_b=${shade##*:}")
    [ -n "$budget" ] && extra+=("budget=$budget")
    if [ "$TYPE" = export-time ]; then gp export_time.gp "${extra[@]}"; else gp mem_time.gp "${extra[@]}"; fi ;;
replicates)
    metric=${metric:-rel_err_bytes}; agg=${agg:-total}; stat=${stat:-mean}
    prep -v kind=reps -v ymetric="$metric" -v yagg="$agg" -v ykey="$key" -v ystat="$stat" \
         -v series="${series:-algorithm,params}" -v algos="$algos" -v where="$where" -v labels="$labels" \
         "$DIR/results.csv"
    title=${title:-"$metric ($agg $key) of every replicate — $desc"}
    [ "$stat" = absmean ] && ylab=${ylab:-"|$metric|"} || ylab=${ylab:-"$metric"}
    gp replicates.gp ;;
*)
    echo "plot.sh: unknown figure type $TYPE" >&2; usage >&2; exit 1 ;;
esac
echo "plot.sh: wrote $OUT${also:+ $also}"
