# flowsim paper — new experiment N2 from one systematic run: p0 systematic
# 1-in-N, p1 random 1-in-N, whole-trace errors per replicate.
# -v trace, setting, kind (periodic or shuffled), period (N).
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.

FNR == 1 { next }
$6 == "all" && $7 == "total" && $8 == "all" && $9 == "rel_err_bytes" && isnum($10) {
    addv($1 SUBSEP "abs", fabs($10)); addv($1 SUBSEP "signed", 100 * $10)
    if ($1 == "p0" && $10 > 0) over++        # periodic trace: the replicates whose phase hit the big packet
}
$6 == "all" && $7 == "dport" && $8 == "all" && $9 == "wmre_bytes" { addv($1 SUBSEP "port", $10) }
END {
    S = SUBSEP
    st = "new: systematic 1-in-N sampling on traffic with period N: unbiased over replicates but every replicate is off"
    pn = "not run in the papers"
    if (kind == "periodic") {
        ratio("p0" S "abs", "p1" S "abs")
        row("N2", trace, st, pn, setting, "mean per-replicate |byte error| systematic/random (x)", R, RLO, RHI, v_more(RLO, RHI), "holds = systematic worse")
        stat("p0" S "signed")
        v = LO == "nan" ? "n/a" : (LO <= 0 && HI >= 0) ? "holds" : "does not hold"
        row("N2", trace, st, pn, setting, "systematic: mean signed byte error over replicates (%)", M, LO, HI, v,
            "holds = unbiased (CI contains 0); " over + 0 " of " N " replicates overestimate (their phase hit the big packet; expected " N "/" period ")")
        stat("p1" S "signed")
        v = LO == "nan" ? "n/a" : (LO <= 0 && HI >= 0) ? "holds" : "does not hold"
        row("N2", trace, st, pn, setting, "random: mean signed byte error over replicates (%)", M, LO, HI, v, "holds = unbiased (CI contains 0)")
        ratio("p0" S "port", "p1" S "port")
        row("N2", trace, st, pn, setting, "per-port byte error systematic/random (x)", R, RLO, RHI, v_more(RLO, RHI), "holds = systematic worse")
    } else {
        ratio("p0" S "abs", "p1" S "abs")
        # Without a period, systematic sampling takes exactly one packet per
        # block of N: stratified sampling, never worse than random in theory.
        row("N2", trace, st, pn, setting, "control without period: |byte error| systematic/random", R, RLO, RHI, v_atmost(RLO, RHI, SIM_HI), "holds = no worse than random (CI upper end <= 1.25)")
    }
}
