# flowsim — awk functions shared by the plotting and paper scripts (POSIX awk;
# mawk and gawk). Load with `awk -f plots/lib.awk -f OTHER.awk`.
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.

# 0.975 quantile of Student's t with df degrees of freedom (two-sided 95 %).
# df 1..30 from the table (4 decimals), above that the Cornish-Fisher
# expansion around the normal quantile (error < 1e-4 for df > 30).
function tq975(df,    z, z3, z5, z7) {
    if (df < 1) return "nan"
    if (!_tq_init) {
        split("12.7062 4.3027 3.1824 2.7764 2.5706 2.4469 2.3646 2.3060 2.2622 2.2281 " \
              "2.2010 2.1788 2.1604 2.1448 2.1314 2.1199 2.1098 2.1009 2.0930 2.0860 " \
              "2.0796 2.0739 2.0687 2.0639 2.0595 2.0555 2.0518 2.0484 2.0452 2.0423", _tq, " ")
        _tq_init = 1
    }
    if (df <= 30) return _tq[int(df)] + 0
    z = 1.959963985; z3 = z * z * z; z5 = z3 * z * z; z7 = z5 * z * z
    return z + (z3 + z) / (4 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96 * df * df) \
             + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df * df * df)
}

# Is s a finite number as flowsim writes them (no nan, no inf)?
function isnum(s) {
    return s ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/
}

# A parameter value as flowsim prints it, as a number: probabilities 1/N,
# percentages, durations (ns us ms s m h d; result in seconds), counts
# (k M G = 1e3.., Ki Mi Gi = 2^10..), inf, plain numbers. "" if unknown.
function numval(s,    n, d, m, u) {
    if (s == "inf") return 1e308 * 10
    if (s ~ /^[0-9.eE+-]+\/[0-9.eE+-]+$/) {
        split(s, d, "/"); return d[2] + 0 != 0 ? (d[1] + 0) / (d[2] + 0) : ""
    }
    if (s ~ /%$/) return substr(s, 1, length(s) - 1) / 100
    if (isnum(s)) return s + 0
    if (match(s, /^[-+]?[0-9.]+([eE][-+]?[0-9]+)?/)) {
        n = substr(s, 1, RLENGTH) + 0; u = substr(s, RLENGTH + 1)
        m = u == "ns" ? 1e-9 : u == "us" ? 1e-6 : u == "ms" ? 1e-3 : u == "s" ? 1 : \
            u == "m" ? 60 : u == "h" ? 3600 : u == "d" ? 86400 : \
            u == "k" ? 1e3 : u == "M" ? 1e6 : u == "G" ? 1e9 : \
            u == "Ki" ? 1024 : u == "Mi" ? 1048576 : u == "Gi" ? 1073741824 : ""
        return m == "" ? "" : n * m
    }
    return ""
}

# The value of parameter name in a params field (name=value;name=value), or
# def when the pipeline does not list it (flowsim lists only non-defaults).
function param(params, name, def,    a, i, n, eq) {
    n = split(params, a, ";")
    for (i = 1; i <= n; i++) {
        eq = index(a[i], "=")
        if (eq && substr(a[i], 1, eq - 1) == name) return substr(a[i], eq + 1)
    }
    return def
}

# params without the parameters named in the space-separated list drop.
function params_without(params, drop,    a, i, n, eq, out, dl, j, nd, keep) {
    n = split(params, a, ";"); nd = split(drop, dl, " "); out = ""
    for (i = 1; i <= n; i++) {
        eq = index(a[i], "="); keep = 1
        for (j = 1; j <= nd; j++) if (substr(a[i], 1, eq - 1) == dl[j]) keep = 0
        if (keep && a[i] != "") out = out (out == "" ? "" : ";") a[i]
    }
    return out
}

# log Gamma(x) for x > 0: shift to x >= 7, then Stirling's series
# (absolute error < 1e-10).
function lgam(x,    s) {
    s = 0
    while (x < 7) { s -= log(x); x += 1 }
    return s + (x - 0.5) * log(x) - x + 0.91893853320467274 \
             + 1 / (12 * x) - 1 / (360 * x * x * x) + 1 / (1260 * x * x * x * x * x)
}

function fabs(x) { return x < 0 ? -x : x }
