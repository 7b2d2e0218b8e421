# flowsim — turns a summary (plots/summarize.awk) or a results.csv into the
# data blocks one gnuplot figure reads: one block per series, separated by
# two blank lines (gnuplot's `index`), and the series titles, one per line,
# in the file named by -v titles_file=.
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
#
# -v kind=
#   xy-metric  x = a whole-trace metric (xmetric on xagg/xkey, its mean and
#              CI), y = ymetric; rows: x xlo xhi y ylo yhi n pipeline
#   xy-param   x = the value of parameter xparam (xdefault when the pipeline
#              does not list it; xinvert=1 plots 1/value); rows as xy-metric
#              with xlo = xhi = x
#   size       the flow aggregate by size decade; rows: pos y ylo yhi n
#              pipeline decade (pos = decade number 1..6, shifted a little
#              per series so the bars do not overlap)
#   ts         a time-series summary (aggregate ts); rows: second y lo hi n
#              pipeline
#   reps       raw results.csv: every replicate's value; two blocks per
#              series: points (pos, value) and the mean with its 95 % CI
#              (pos mean lo hi n)
# y: ymetric on yagg/ykey/ybin (defaults total/all/all); ystat = absmean
# (mean of |value|, for signed errors) or mean. The CI is the summary's
# 95 % t interval of that statistic.
# Selection: pipelines = comma list of pipeline ids (p0,p3).
# Series: series = comma list of algorithm, pipeline, params, rest (params
# without xparam) or parameter names; labels = "pN=text;..." overrides the
# title of a pipeline's series. Selection: algos = comma list of
# algorithms; where = regex on "algorithm:params"; from/to = time range (ts).
# fullparams = file of pN,name,value lines (every parameter with its
# default, from the manifest) used to find parameter values.
# Log axes: logy=1 cuts error bars at 1/10 of the value (a bar reaching 0
# or below cannot be drawn on a log axis, and a bar reaching far down would
# squash the figure), and points of value 0 (an exact pipeline's error, below 1e-9) are
# left out; the numbers of cut bars and left-out points go to clip_file.

function keep(pl, a, pa,    i, n, l, ok) {
    if (pipelines != "") {
        n = split(pipelines, l, ","); ok = 0
        for (i = 1; i <= n; i++) if (l[i] == pl) ok = 1
        if (!ok) return 0
    }
    if (algos != "") {
        n = split(algos, l, ","); ok = 0
        for (i = 1; i <= n; i++) if (l[i] == a) ok = 1
        if (!ok) return 0
    }
    if (where != "" && (a ":" pa) !~ where) return 0
    return 1
}

function series_of(pl, a, pa,    f, n, i, s, v) {
    if (pl in lab) return lab[pl]
    n = split(series == "" ? "algorithm" : series, f, ",")
    s = ""
    for (i = 1; i <= n; i++) {
        if (f[i] == "algorithm") v = a
        else if (f[i] == "pipeline") v = pl
        else if (f[i] == "params") v = pa
        else if (f[i] == "rest") { v = xparam; gsub(/\|/, " ", v); v = params_without(pa, v) }
        else { v = pval(pl, pa, f[i], ""); if (v != "") v = f[i] "=" v }
        gsub(/;/, " ", v)
        if (v != "") s = s (s == "" ? "" : " ") v
    }
    return s == "" ? a : s
}

# A series of estimates biased by design (estimand column biased:TAG) is
# titled apart, so that it is never drawn or read as one series with
# unbiased estimates.
function bmark(est) { return est ~ /^biased:/ ? " [" est "]" : "" }

function sid(s) {
    if (!(s in sidx)) { sidx[s] = ++ns; sname[ns] = s }
    return sidx[s]
}

function clip(lo, y) { if (logy && (lo == "nan" || lo < y / 10)) { nclip++; return y / 10 } return lo }

BEGIN {
    FS = ","
    if (yagg == "") yagg = "total"; if (ykey == "") ykey = "all"; if (ybin == "") ybin = "all"
    if (xagg == "") xagg = "total"; if (xkey == "") xkey = "all"
    if (ystat == "") ystat = ymetric ~ /^rel_err_/ ? "absmean" : "mean"
    n = split(labels, l, ";")
    for (i = 1; i <= n; i++) { e = index(l[i], "="); if (e) lab[substr(l[i], 1, e - 1)] = substr(l[i], e + 1) }
    split("1-9 10-99 100-999 1000-9999 10000-99999 100000+", dn, " ")
    for (i = 1; i <= 6; i++) dpos[dn[i]] = i
    # full parameter sets (defaults included) from the manifest: pN,name,value
    if (fullparams != "")
        while ((getline line < fullparams) > 0) {
            split(line, fp, ","); c = index(line, ","); c2 = index(substr(line, c + 1), ",")
            FP[fp[1], fp[2]] = substr(line, c + c2 + 1)
        }
}

# The value of parameter name of pipeline pl: the manifest's full set, else
# the params column (non-defaults only), else def.
function pval(pl, pa, name, def) { return ((pl, name) in FP) ? FP[pl, name] : param(pa, name, def) }

FNR == 1 { next }

kind == "reps" {
    # raw results.csv
    if ($6 != ybin || $7 != yagg || $8 != ykey || $9 != ymetric || !keep($1, $2, $3) || !isnum($10)) next
    if (!($1 in pseen)) { pseen[$1] = 1; porder[++np] = $1; pser[$1] = sid(series_of($1, $2, $3) bmark($11)) }
    v = $10 + 0; if (ystat == "absmean" && v < 0) v = -v
    rv[$1, ++rn[$1]] = v
    next
}

{
    # summary rows: pipeline,algorithm,params,bin,aggregate,key,metric,n,mean,sd,se,ci95,lo,hi,absmean,abssd,absci95,min,max,estimand
    pl = $1
    if (!keep(pl, $2, $3)) next
    if (kind == "ts") {
        if ($5 != "ts" || $7 != ymetric) next
        if (from != "" && $4 + 0 < from + 0) next
        if (to != "" && $4 + 0 > to + 0) next
        s = sid(series_of(pl, $2, $3))
        y = $9; lo = $13; hi = $14
        if (logy && y <= 0) y = lo = hi = "nan"          # zero: no point on a log axis
        else if (logy) lo = clip(lo, y)
        row[s, ++nr[s]] = sprintf("%s,%s,%s,%s,%s,%s", $4, y, lo, hi, $8, pl)
        next
    }
    if (ystat == "absmean") { y = $15; ci = $17 } else { y = $9; ci = $12 }
    if (kind == "size") {
        if ($4 != ybin || $5 != "flow" || !($6 in dpos) || $7 != ymetric) next
        s = sid(series_of(pl, $2, $3) bmark($20))
        sy[s, $6] = y; sc[s, $6] = ci; sn[s, $6] = $8; spl[s] = pl
        next
    }
    if ($4 == ybin && $5 == yagg && $6 == ykey && $7 == ymetric) {
        Y[pl] = y; YC[pl] = ci; YN[pl] = $8; A[pl] = $2; P[pl] = $3; E[pl] = $20
        if (!(pl in seen)) { seen[pl] = 1; order[++no] = pl }
    }
    if (kind == "xy-metric" && $4 == "all" && $5 == xagg && $6 == xkey && $7 == xmetric) {
        X[pl] = $9; XC[pl] = $12
    }
}

END {
    if (kind == "xy-metric" || kind == "xy-param") {
        for (i = 1; i <= no; i++) {
            pl = order[i]
            if (kind == "xy-param") {
                nalt = split(xparam, alt, "|"); v = ""
                for (j = 1; j <= nalt && v == ""; j++) v = pval(pl, P[pl], alt[j], "")
                if (v == "") v = xdefault
                x = numval(v)
                if (x == "") continue
                if (xinvert) x = 1 / x
                X[pl] = x; XC[pl] = 0
            }
            if (!(pl in X) || X[pl] == "nan" || Y[pl] == "nan") continue
            if (logy && Y[pl] <= 1e-9) { nzero++; continue }   # exact (error 0, or rounding noise): not on a log axis
            s = sid(series_of(pl, A[pl], P[pl]) bmark(E[pl]))
            xc = XC[pl] == "nan" ? 0 : XC[pl]; yc = YC[pl] == "nan" ? 0 : YC[pl]
            row[s, ++nr[s]] = sprintf("%.10g,%.10g,%.10g,%.10g,%.10g,%.10g,%s,%s", X[pl], X[pl] - xc, X[pl] + xc,
                                      Y[pl], clip(Y[pl] - yc, Y[pl]), Y[pl] + yc, YN[pl], pl)
            rx[s, nr[s]] = X[pl] + 0
        }
        for (s = 1; s <= ns; s++) {            # sort each series by x (insertion sort)
            for (i = 2; i <= nr[s]; i++)
                for (j = i; j > 1 && rx[s, j - 1] > rx[s, j]; j--) {
                    t = row[s, j]; row[s, j] = row[s, j - 1]; row[s, j - 1] = t
                    t = rx[s, j]; rx[s, j] = rx[s, j - 1]; rx[s, j - 1] = t
                }
        }
    }
    if (kind == "size")
        for (s = 1; s <= ns; s++)
            for (d = 1; d <= 6; d++)
                if ((s, dn[d]) in sy && sy[s, dn[d]] != "nan") {
                    y = sy[s, dn[d]]; ci = sc[s, dn[d]]; if (ci == "nan") ci = 0
                    row[s, ++nr[s]] = sprintf("%.4f,%.10g,%.10g,%.10g,%s,%s,%s", d + (s - (ns + 1) / 2) * 0.08, y,
                                              clip(y - ci, y), y + ci, sn[s, dn[d]], spl[s], dn[d])
                }
    if (kind == "reps") {
        for (i = 1; i <= np; i++) {
            pl = porder[i]; s = pser[pl]
            m = 0; for (j = 1; j <= rn[pl]; j++) m += rv[pl, j]; m /= rn[pl]
            sd = 0; for (j = 1; j <= rn[pl]; j++) sd += (rv[pl, j] - m) ^ 2
            ci = rn[pl] > 1 ? tq975(rn[pl] - 1) * sqrt(sd / (rn[pl] - 1)) / sqrt(rn[pl]) : 0
            # points jittered deterministically (golden-ratio sequence) around x = s
            for (j = 1; j <= rn[pl]; j++)
                row[s, ++nr[s]] = sprintf("%.4f,%.10g", s + 0.3 * ((j * 0.6180339887) % 1 - 0.5), rv[pl, j])
            mrow[s] = sprintf("%d,%.10g,%.10g,%.10g,%d", s, m, m - ci, m + ci, rn[pl])
        }
    }
    total = 0
    for (s = 1; s <= ns; s++) {
        if (s > 1) printf "\n\n"
        printf "# %s\n", sname[s]
        for (i = 1; i <= nr[s]; i++) print row[s, i]
        total += nr[s]
        if (kind == "reps") printf "\n\n# %s: mean and 95%% CI\n%s\n", sname[s], mrow[s]
        t = sname[s]; gsub(/"/, "'", t)
        print t > titles_file
    }
    if (clip_file != "") print nclip + 0, nzero + 0 > clip_file
    if (total == 0) exit 3
}
