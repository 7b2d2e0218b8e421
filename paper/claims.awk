# flowsim paper — statistics and verdict rules of the reproduction table.
# Loaded after plots/lib.awk and before an experiment's own awk program.
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
#
# Values are collected per replicate (addv), so every number of the table is
# a mean over independent replicates with a Student-t 95 % confidence
# interval, or a ratio of two such means (independent pipelines) with the
# delta-method interval on the log scale:
#   log(m1/m2) +/- t * sqrt((se1/m1)^2 + (se2/m2)^2),  t with min(n1,n2)-1 df.
#
# Verdict rules (fixed here, before looking at any number):
#   direction claims ("A is lower than B"): holds when the 95 % CI of A/B lies
#     below 1; "does not hold" when it lies above 1; otherwise "not
#     significant".
#   similarity claims ("A is similar to B"): holds when the CI of A/B lies
#     inside [SIM_LO, SIM_HI] = [0.8, 1.25] (an equivalence test with a
#     +/-20 % margin, chosen by us: the papers give no margin); "does not
#     hold" when the CI lies entirely outside; otherwise "inconclusive".
#   bound claims ("at most x"): holds when the CI's upper end is <= x, does
#     not hold when its lower end is > x, otherwise "inconclusive".

BEGIN { SIM_LO = 0.8; SIM_HI = 1.25 }

# Estimates biased by design (results.csv's estimand column, the 11th, or a
# summary's, the 20th: biased:TAG) estimate something else than the truth
# they are scored against: no claim averages them with the others. Such a
# row is skipped before the experiment's program sees it, and counted on
# stderr.
FNR > 1 && ($11 ~ /^biased:/ || $20 ~ /^biased:/) { CLAIMS_BIASED[NF >= 20 ? $7 : $9]++; next }
END { for (m in CLAIMS_BIASED) printf "claims: %d rows of %s biased by design left out\n", CLAIMS_BIASED[m], m > "/dev/stderr" }

function addv(k, v) { if (!isnum(v)) return; VN[k]++; V[k, VN[k]] = v + 0 }

# stat(k): N, M (mean), SD, SE, LO, HI (95 % CI of the mean) of the values of k.
function stat(k,    i, s, d) {
    N = VN[k] + 0; M = SD = SE = LO = HI = "nan"
    if (N == 0) return 0
    s = 0; for (i = 1; i <= N; i++) s += V[k, i]; M = s / N
    if (N < 2) return 1
    d = 0; for (i = 1; i <= N; i++) d += (V[k, i] - M) ^ 2
    SD = sqrt(d / (N - 1)); SE = SD / sqrt(N)
    LO = M - tq975(N - 1) * SE; HI = M + tq975(N - 1) * SE
    return 1
}

# vmax(k): the largest value of k over its replicates ("nan" if none).
function vmax(k,    i, m) { if (!VN[k]) return "nan"; m = V[k, 1]; for (i = 2; i <= VN[k]; i++) if (V[k, i] > m) m = V[k, i]; return m }

# ratio(k1, k2): R, RLO, RHI for mean(k1)/mean(k2). Returns 0 when undefined.
function ratio(k1, k2,    m1, s1, n1, m2, s2, n2, w, t) {
    R = RLO = RHI = "nan"
    if (!stat(k1)) return 0; m1 = M; s1 = SE; n1 = N
    if (!stat(k2)) return 0; m2 = M; s2 = SE; n2 = N
    if (m1 <= 0 || m2 <= 0) return 0
    R = m1 / m2
    if (n1 < 2 || n2 < 2) return 1
    w = sqrt((s1 / m1) ^ 2 + (s2 / m2) ^ 2); t = tq975((n1 < n2 ? n1 : n2) - 1)
    RLO = R * exp(-t * w); RHI = R * exp(t * w)
    return 1
}

function v_less(lo, hi) { return lo == "nan" ? "n/a" : hi < 1 ? "holds" : lo > 1 ? "does not hold" : "not significant" }
function v_more(lo, hi) { return lo == "nan" ? "n/a" : lo > 1 ? "holds" : hi < 1 ? "does not hold" : "not significant" }
function v_similar(lo, hi) {
    return lo == "nan" ? "n/a" : (lo >= SIM_LO && hi <= SIM_HI) ? "holds" : \
           (hi < SIM_LO || lo > SIM_HI) ? "does not hold" : "inconclusive"
}
function v_atmost(lo, hi, x) { return hi == "nan" ? "n/a" : hi <= x ? "holds" : lo > x ? "does not hold" : "inconclusive" }

function f4(x) { return x == "nan" || x == "" ? "nan" : sprintf("%.4g", x) }
function clean(s) { gsub(/,/, " ", s); gsub(/"/, "'", s); return s }

# One row of the reproduction table (claims.csv).
function row(claim, trace, statement, paper, setting, quantity, value, lo, hi, verdict, note) {
    printf "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", claim, trace, clean(statement), clean(paper), clean(setting),
           clean(quantity), f4(value), f4(lo), f4(hi), verdict, clean(note)
}
