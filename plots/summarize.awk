# flowsim — summary over replicates of flowsim's tidy outputs.
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
#
#   awk -F, -f plots/lib.awk -f plots/summarize.awk RUN/results.csv > summary.csv
#   awk -F, -f plots/lib.awk -f plots/summarize.awk RUN/results.csv RUN/timeseries.csv > ts.csv
#
# results.csv (pipeline,algorithm,params,replicate,seed,bin,aggregate,key,
# metric,value,estimand): one output row per (pipeline, bin, aggregate, key,
# metric) over the replicates. timeseries.csv (pipeline,replicate,second,metric
# columns...): one row per (pipeline, second, metric), written with
# aggregate "ts" and key "all" in the same columns, bin = the second; a
# results.csv read before it only supplies the algorithm and params of each
# pipeline (its own rows are not summarized then).
#
# Output columns:
#   pipeline,algorithm,params,bin,aggregate,key,metric,n,mean,sd,se,ci95,lo,hi,
#   absmean,abssd,absci95,min,max,estimand
# n counts the finite values (nan and inf are left out); sd is the sample
# standard deviation; se = sd/sqrt(n); ci95 = t(0.975, n-1) * se, the half
# width of the 95 % confidence interval of the mean (Student t); lo/hi =
# mean -/+ ci95. absmean, abssd, absci95: the same for |value| (the error
# magnitude of signed errors such as rel_err_bytes). With n = 1 the spread
# columns are nan. Numeric bins are counted from the first bin of the file
# (so 0 is the trace's first bin whatever the engine's bin origin).
# estimand is the rows' estimand column (the same for every replicate of a
# pipeline; empty for truths, counters and time series): a row marked
# biased:TAG is an estimate of something else than the truth it is scored
# against, never to be averaged with the others (flowsim metrics).
#
# Variables (-v): metrics=REGEX and aggs=REGEX keep matching metrics and
# aggregates only; bins=all keeps only the whole-trace rows, bins=each only
# the per-bin rows (default: both).

function stats_out(k, n, m, m2, am, am2,    sd, se, ci, asd, aci, lo, hi) {
    if (n >= 2) {
        sd = sqrt(m2 / (n - 1)); se = sd / sqrt(n); ci = tq975(n - 1) * se
        asd = sqrt(am2 / (n - 1)); aci = tq975(n - 1) * asd / sqrt(n)
        lo = m - ci; hi = m + ci
    } else if (n == 1) {
        sd = se = ci = asd = aci = lo = hi = "nan"
    } else {
        m = am = sd = se = ci = asd = aci = lo = hi = "nan"
    }
    return sprintf("%d,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s", n, g(m), g(sd), g(se), g(ci), g(lo), g(hi),
                   g(am), g(asd), g(aci), n ? g(mn[k]) "," g(mx[k]) : "nan,nan")
}
function g(x) { return x == "nan" ? "nan" : sprintf("%.10g", x) }

function add(k, v,    d, a) {
    if (!(k in N)) { N[k] = 0; M[k] = 0; M2[k] = 0; AM[k] = 0; AM2[k] = 0; order[++nk] = k }
    if (!isnum(v)) return
    v += 0; a = v < 0 ? -v : v
    N[k]++
    d = v - M[k]; M[k] += d / N[k]; M2[k] += d * (v - M[k])
    d = a - AM[k]; AM[k] += d / N[k]; AM2[k] += d * (a - AM[k])
    if (N[k] == 1 || v < mn[k]) mn[k] = v
    if (N[k] == 1 || v > mx[k]) mx[k] = v
}

BEGIN { FS = ","; minbin = "" }

FNR == 1 {
    mode = ($0 ~ /^pipeline,algorithm,params,/) ? "results" : ($0 ~ /^pipeline,replicate,second,/) ? "ts" : "?"
    if (mode == "?") { print "summarize.awk: " FILENAME ": not a flowsim results.csv or timeseries.csv" > "/dev/stderr"; exit 2 }
    if (mode == "ts") { nts = NF; for (i = 4; i <= NF; i++) tsname[i] = $i; had_ts = 1 }
    next
}

mode == "results" {
    if (!($1 in alg)) { alg[$1] = $2; par[$1] = $3 }
    if (ARGC > 2 && FILENAME != ARGV[ARGC - 1]) next   # labels only, a time series follows
    if (bins == "all" && $6 != "all") next
    if (bins == "each" && $6 == "all") next
    if (metrics != "" && $9 !~ metrics) next
    if (aggs != "" && $7 !~ aggs) next
    if ($6 != "all" && isnum($6) && (minbin == "" || $6 + 0 < minbin)) minbin = $6 + 0
    add($1 SUBSEP $6 SUBSEP $7 SUBSEP $8 SUBSEP $9, $10)
    EST[$1 SUBSEP $6 SUBSEP $7 SUBSEP $8 SUBSEP $9] = NF >= 11 ? $11 : ""
    next
}

mode == "ts" {
    for (i = 4; i <= nts; i++) {
        if (metrics != "" && tsname[i] !~ metrics) continue
        add($1 SUBSEP $3 SUBSEP "ts" SUBSEP "all" SUBSEP tsname[i], $i)
    }
}

END {
    print "pipeline,algorithm,params,bin,aggregate,key,metric,n,mean,sd,se,ci95,lo,hi,absmean,abssd,absci95,min,max,estimand"
    for (i = 1; i <= nk; i++) {
        k = order[i]; split(k, f, SUBSEP)
        b = f[2]
        if (f[3] != "ts" && b != "all" && isnum(b) && minbin != "") b = b - minbin
        print f[1] "," alg[f[1]] "," par[f[1]] "," b "," f[3] "," f[4] "," f[5] "," \
              stats_out(k, N[k], M[k], M2[k], AM[k], AM2[k]) "," EST[k]
    }
}
