#!/usr/bin/env bash
# flowsim — `make demo`: NetFlow and Sampled NetFlow at several rates, 30
# seeds each, in one pass over a real capture shipped in traces/real/, then
# the table on stdout and one figure (error vs sampling rate).
set -euo pipefail
FLOWSIM=${1:-build/flowsim}
TRACE=${DEMO_TRACE:-traces/real/ndpi_bittorrent_transmission.pcapng}
OUT=${DEMO_OUT:-results/demo}
SEEDS=${DEMO_SEEDS:-30}
RATES="1/2 1/5 1/10 1/20 1/50 1/100 1/200 1/500 1/1000"
specs=(-m netflow)
for r in $RATES; do specs+=(-m "sampled-netflow:rate=$r"); done
"$FLOWSIM" run "$TRACE" "${specs[@]}" --seeds "$SEEDS" --out "$OUT" --bin 60s --progress no
# Whole-trace relative errors per replicate -> mean, sd, min, max per rate.
awk -F, -v OFS=, '
  NR > 1 && $6 == "all" && $7 == "total" && $8 == "all" && $2 == "sampled-netflow" &&
  ($9 == "rel_err_bytes" || $9 == "rel_err_packets" || $9 == "rel_err_flows") {
    split($3, kv, ";"); rate = ""
    for (i in kv) if (kv[i] ~ /^rate=/) rate = substr(kv[i], 6)
    if (rate == "") rate = "1/100"            # the default rate is not listed
    split(rate, nd, "/"); inv = nd[2] / nd[1]
    # the figure titles flows "sampled flows, biased low": the estimand column says so
    if ($9 == "rel_err_flows" && $11 != "biased:sampled-flows") {
      print "demo.sh: rel_err_flows of " $1 " is " $11 ", not biased:sampled-flows" > "/dev/stderr"; exit 1 }
    v = $10 < 0 ? -$10 : $10
    k = inv SUBSEP $9; n[k]++; s[k] += v; ss[k] += v * v
    if (!(k in mn) || v < mn[k]) mn[k] = v
    if (!(k in mx) || v > mx[k]) mx[k] = v
    print inv, $9, $10 > "'"$OUT"'/demo_replicates.csv"
  }
  END {
    for (k in n) { split(k, p, SUBSEP); m = s[k] / n[k]
      sd = n[k] > 1 ? sqrt((ss[k] - n[k] * m * m) / (n[k] - 1)) : 0; if (sd != sd) sd = 0
      print 1 / p[1], p[1], p[2], m, sd, mn[k], mx[k] }
  }' "$OUT/results.csv" | sort -t, -k3,3 -k2,2n > "$OUT/demo_err_vs_rate.csv"
gnuplot -e "out='$OUT/error_vs_rate.png'; dat='$OUT/demo_err_vs_rate.csv'; reps='$OUT/demo_replicates.csv'; trace='$(basename "$TRACE")'; nseeds='$SEEDS'" plots/demo.gp
echo "demo: results in $OUT/ (results.csv, manifest.json, timeseries.csv, records/), figure $OUT/error_vs_rate.png"
