# flowsim paper — claim 9 from one slicing run: per-flow error of flow
# slicing (pipeline fs) against packet sampling (pipeline sn) at the same
# probability, pooled over the flows of at least minsize packets (a power of
# ten: whole decades), and both against the exact theory (theo =
# plots/theory.awk output for this p). -v trace, setting, fs, sn, theo, minsize.
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.

BEGIN {
    FS = ","
    while ((getline line < theo) > 0) {
        split(line, c, ",")
        if (c[1] == "decade") continue
        tn[c[2]] = c[3]; tps[c[2]] = c[5]; tsl[c[2]] = c[7]
    }
}
function lower(d,    x) { split(d, x, /[-+]/); return x[1] + 0 }
FNR == 1 { next }
$6 == "all" && $7 == "flow" && ($1 == fs || $1 == sn) && ($9 == "flows" || $9 == "are_packets") {
    r = $1 SUBSEP $4; reps[r] = $1
    if ($9 == "flows") n[r, $8] = $10; else a[r, $8] = $10
    dec[$8] = 1
}
END {
    # theory pooled the same way (weights: the decade's flows)
    for (d in tn) if (lower(d) >= minsize + 0) { W += tn[d]; PS += tn[d] * tps[d]; SL += tn[d] * tsl[d] }
    for (r in reps) {
        nb = sb = 0
        for (d in dec) if (lower(d) >= minsize + 0 && ((r, d) in n) && isnum(a[r, d])) { nb += n[r, d]; sb += n[r, d] * a[r, d] }
        if (nb > 0) addv(reps[r], sb / nb)
    }
    st = "flow slicing has a lower per-flow error than packet sampling at the same p (same memory)"
    pn = "strictly lower variance for s > 1 (eq. 7)"
    ratio(fs, sn)
    row(9, trace, st, pn, setting, "per-flow error slicing/sampling; flows >= " minsize " pkts", R, RLO, RHI, v_less(RLO, RHI),
        W > 0 ? "mean |rel. error| of packets" : "the trace has no flow of >= " minsize " packets")
    if (W > 0) {
        stat(fs); m = M; lo = LO; hi = HI; th = SL / W
        vt = lo == "nan" ? "n/a" : (lo <= th && th <= hi) ? "holds" : "does not hold"
        row(9, trace, st, pn, setting, "slicing measured/exact theory; flows >= " minsize " pkts", m / th, lo / th, hi / th, vt, "holds = CI contains 1 (theory: geometric law of the first sliced packet)")
        stat(sn); m = M; lo = LO; hi = HI; th = PS / W
        vt = lo == "nan" ? "n/a" : (lo <= th && th <= hi) ? "holds" : "does not hold"
        row(9, trace, st, pn, setting, "sampling measured/exact theory; flows >= " minsize " pkts", m / th, lo / th, hi / th, vt, "holds = CI contains 1 (theory: binomial; de Moivre)")
    }
}
