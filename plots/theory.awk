# flowsim — theoretical per-flow mean relative error of packet sampling and
# of flow slicing, by flow-size decade, evaluated at the flows of a trace.
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
#
#   awk -F, -v sampling=1/16 -v slicing=1/16 -f plots/lib.awk -f plots/theory.awk RECORDS.csv
#
# Input: the records file (records/pN_rK.csv) of an exact, unsampled meter
# over one analysis bin, e.g. netflow:finrst=no,inactive=inf,active=inf run
# with --bin inf; records of the same flow key are summed, so the sizes are
# the true packets S of every flow. Output, one row per size decade of S (the
# decades of flowsim's flow aggregate):
#   decade,key,flows,mean_size,ps_exact,ps_normal,sl_exact,sl_normal
# each the mean over the decade's flows of E|est - S| / S (flowsim's
# are_packets: a flow without any estimate counts with error 1):
#
# ps_exact   packet sampling with probability r (`sampling`), est = X/r with
#            X ~ Binomial(S, r): E|X - Sr| by de Moivre's closed form
#            2 (m+1) C(S,m+1) r^(m+1) (1-r)^(S-m), m = floor(S r). Exact.
# ps_normal  the normal approximation sqrt(2/pi) sqrt((1/r - 1)/S) (the mean
#            absolute deviation of a normal with the binomial's variance);
#            poor when S r is small (it exceeds 1 where the truth is <= 2).
# sl_exact   flow slicing with probability p (`slicing`), no packet sampling
#            in front (q = 1), one slice per flow (t and the inactivity
#            timeout longer than the flow): the first sliced packet is the
#            k-th with probability p (1-p)^(k-1), est = 1/p - 1 + (S - k + 1),
#            so |est - S| = |1/p - k|; no packet sliced (probability
#            (1-p)^S) gives est = 0. The sum has a closed form (geometric
#            series), so this is exact.
# sl_normal  sqrt(2/pi) sqrt(VAR)/S with VAR = (1/p)(1/p - 1)(1 - (1-p)^S),
#            Flow Slices eq. 7, in the same normal approximation.

function ps_exact(S, r,    m, lc) {
    if (r >= 1) return 0
    m = int(S * r)
    if (m + 1 > S) return 0
    lc = lgam(S + 1) - lgam(m + 2) - lgam(S - m)
    return 2 * exp(log(m + 1) + lc + (m + 1) * log(r) + (S - m) * log(1 - r)) / (S * r)
}
function ps_normal(S, r) { return sqrt(2 / 3.14159265358979) * sqrt((1 / r - 1) / S) }

# F(n) = sum_{k=1..n} p (1-p)^(k-1); G(n) = sum_{k=1..n} k p (1-p)^(k-1)
function sF(n, p) { return 1 - (1 - p) ^ n }
function sG(n, p,    r) { r = 1 - p; return (1 - (n + 1) * r ^ n + n * r ^ (n + 1)) / p }
function sl_exact(S, p,    a, a0, m, e) {
    if (p >= 1) return 0
    a = 1 / p; a0 = int(a); m = S < a0 ? S : a0
    e = a * sF(m, p) - sG(m, p)
    if (S > a0) e += (sG(S, p) - sG(a0, p)) - a * (sF(S, p) - sF(a0, p))
    e += (1 - p) ^ S * S
    return e / S
}
function sl_normal(S, p) {
    return sqrt(2 / 3.14159265358979) * sqrt((1 / p) * (1 / p - 1) * (1 - (1 - p) ^ S)) / S
}

function decade(S,    d, x) { d = 0; for (x = 10; S >= x && d < 5; x *= 10) d++; return d }

BEGIN {
    FS = ","
    r = numval(sampling); p = numval(slicing)
    if (r == "" || p == "" || r <= 0 || p <= 0 || r > 1 || p > 1) {
        print "theory.awk: set -v sampling=RATE -v slicing=P (probabilities)" > "/dev/stderr"; exit 2
    }
    split("1-9 10-99 100-999 1000-9999 10000-99999 100000+", dname, " ")
}
FNR == 1 { if ($0 !~ /^exported,first,last,src,dst,proto,sport,dport,tos,vlan,packets,/) {
               print "theory.awk: " FILENAME ": not a flowsim records file" > "/dev/stderr"; exit 2 }
           next }
{ size[$4 SUBSEP $5 SUBSEP $6 SUBSEP $7 SUBSEP $8 SUBSEP $9 SUBSEP $10] += $11 }
END {
    for (k in size) {
        S = size[k]; if (S < 1) continue
        d = decade(S)
        if (!(S in c1)) { c1[S] = ps_exact(S, r); c2[S] = ps_normal(S, r); c3[S] = sl_exact(S, p); c4[S] = sl_normal(S, p) }
        n[d]++; sz[d] += S; a1[d] += c1[S]; a2[d] += c2[S]; a3[d] += c3[S]; a4[d] += c4[S]
    }
    print "decade,key,flows,mean_size,ps_exact,ps_normal,sl_exact,sl_normal"
    for (d = 0; d <= 5; d++)
        if (n[d])
            printf "%d,%s,%d,%.6g,%.6g,%.6g,%.6g,%.6g\n", d, dname[d + 1], n[d], sz[d] / n[d],
                   a1[d] / n[d], a2[d] / n[d], a3[d] / n[d], a4[d] / n[d]
}
