# flowsim paper — claims 1-7 from one fsanf run (results.csv, whole-trace rows).
# Pipelines: adaptive-netflow (fixed) = "anf", flow-slices with the inactivity
# timeout = "fs15", without = "fsinf"; T = the ANF bin or the FS slice length.
# -v trace, setting, tmin, tmax, inactive, big (smallest size of a "large"
# flow: 10, 100, 1000 ...; the decades from it up are pooled).
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.

FNR == 1 { next }
$6 != "all" { next }
{
    if (!($1 in V_)) {
        if ($2 == "adaptive-netflow") { v = "anf"; T = numval(param($3, "bin", "60s")) }
        else { v = param($3, "inactive", "15s") == "inf" ? "fsinf" : "fs15"; T = numval(param($3, "t", "60s")) }
        V_[$1] = v; T_[$1] = T
    }
    k = V_[$1] SUBSEP T_[$1]
    if ($7 == "total" && $8 == "all" && $9 == "mem_peak_entries") addv(k SUBSEP "mem", $10)
    if ($7 == "total" && $8 == "all" && $9 == "export_records") addv(k SUBSEP "rec", $10)
    if ($7 == "dport" && $8 == "all" && $9 == "wmre_bytes") addv(k SUBSEP "port", $10)
    if ($7 == "flow" && ($9 == "flows" || $9 == "are_bytes")) {
        r = $1 SUBSEP $4; reps[r] = k
        if ($9 == "flows") fn[r, $8] = $10; else fa[r, $8] = $10
        dec[$8] = 1
    }
}
END {
    # pooled per-flow error per replicate: flows of >= 1000 packets, and all flows
    for (r in reps) {
        nb = sb = na = sa = 0
        for (d in dec) {
            if (!((r, d) in fn) || !isnum(fa[r, d])) continue
            na += fn[r, d]; sa += fn[r, d] * fa[r, d]
            split(d, lohi, /[-+]/)
            if (lohi[1] + 0 >= big + 0) { nb += fn[r, d]; sb += fn[r, d] * fa[r, d] }
        }
        if (nb > 0) addv(reps[r] SUBSEP "big", sb / nb)
        if (na > 0) addv(reps[r] SUBSEP "all", sa / na)
    }
    a0 = "anf" SUBSEP tmin; a1 = "anf" SUBSEP tmax
    f0 = "fs15" SUBSEP tmin; f1 = "fs15" SUBSEP tmax
    i0 = "fsinf" SUBSEP tmin; i1 = "fsinf" SUBSEP tmax
    S = SUBSEP

    st = "FS needs less memory than ANF (15 s inactivity timeout)"
    pn = "up to 80 % less (abstract); about 80 % (Table 6)"
    ratio(f0 S "mem", a0 S "mem"); row(1, trace, st, pn, setting, "memory reduction FS vs ANF at T=" tmin " s (%)", 100 * (1 - R), 100 * (1 - RHI), 100 * (1 - RLO), v_less(RLO, RHI), "peak entries")
    ratio(f1 S "mem", a1 S "mem"); row(1, trace, st, pn, setting, "memory reduction FS vs ANF at T=" tmax " s (%)", 100 * (1 - R), 100 * (1 - RHI), 100 * (1 - RLO), v_less(RLO, RHI), "peak entries")

    st = "the inactivity timeout costs FS little extra report volume"
    pn = "about +5 %"
    ratio(f0 S "rec", i0 S "rec"); row(2, trace, st, pn, setting, "extra records with the " inactive " timeout at T=" tmin " s (%)", 100 * (R - 1), 100 * (RLO - 1), 100 * (RHI - 1), v_atmost(RLO, RHI, 1.10), "holds = CI upper end <= +10 %")
    ratio(f1 S "rec", i1 S "rec"); row(2, trace, st, pn, setting, "extra records with the " inactive " timeout at T=" tmax " s (%)", 100 * (R - 1), 100 * (RLO - 1), 100 * (RHI - 1), v_atmost(RLO, RHI, 1.10), "holds = CI upper end <= +10 %")

    st = "without the inactivity timeout FS and ANF need similar resources"
    pn = "similar"
    ratio(i1 S "mem", a1 S "mem"); row(3, trace, st, pn, setting, "memory FS(no timeout)/ANF at T=" tmax " s", R, RLO, RHI, v_similar(RLO, RHI), "similar = CI within [0.8; 1.25]")
    ratio(i1 S "rec", a1 S "rec"); row(3, trace, st, pn, setting, "records FS(no timeout)/ANF at T=" tmax " s", R, RLO, RHI, v_similar(RLO, RHI), "similar = CI within [0.8; 1.25]")

    st = "longer bins: slightly fewer reports and much more memory (ANF)"
    pn = "slight decrease vs significant increase"
    ratio(a1 S "rec", a0 S "rec"); row(4, trace, st, pn, setting, "ANF records T=" tmax "/T=" tmin, R, RLO, RHI, v_less(RLO, RHI), "holds = fewer (CI below 1)")
    ratio(a1 S "mem", a0 S "mem")
    vm = RLO == "nan" ? "n/a" : RLO > 1.5 ? "holds" : RHI < 1.5 ? "does not hold" : "inconclusive"
    row(4, trace, st, pn, setting, "ANF peak memory T=" tmax "/T=" tmin, R, RLO, RHI, vm, "much more = CI above 1.5x")

    st = "FS is more accurate than ANF for individual flows"
    pn = "about 10 % lower average error"
    ratio(f0 S "big", a0 S "big"); row(5, trace, st, pn, setting, "per-flow error FS/ANF; flows >= " big " pkts; T=" tmin " s", R, RLO, RHI, v_less(RLO, RHI),
        R == "nan" ? "no flow of >= " big " packets in a bin" : "mean |rel. error| of bytes per flow")
    ratio(f0 S "all", a0 S "all"); row(5, trace, st, pn, setting, "per-flow error FS/ANF; all flows; T=" tmin " s", R, RLO, RHI, v_less(RLO, RHI), "missed flows count with error 1")

    st = "FS and ANF have similar errors for application (port) aggregates"
    pn = "similar"
    ratio(f0 S "port", a0 S "port"); row(6, trace, st, pn, setting, "dport byte error FS/ANF at T=" tmin " s", R, RLO, RHI, v_similar(RLO, RHI), "weighted mean rel. error; similar = CI within [0.8; 1.25]")

    st = "the slice length barely affects FS accuracy"
    pn = "no significant effect; longer slightly better"
    ratio(f1 S "big", f0 S "big"); row(7, trace, st, pn, setting, "FS per-flow error t=" tmax "/t=" tmin "; flows >= " big " pkts", R, RLO, RHI, v_similar(RLO, RHI),
        R == "nan" ? "no flow of >= " big " packets in a bin" : "similar = CI within [0.8; 1.25]")
    ratio(f1 S "port", f0 S "port"); row(7, trace, st, pn, setting, "FS dport byte error t=" tmax "/t=" tmin, R, RLO, RHI, v_similar(RLO, RHI), "similar = CI within [0.8; 1.25]")
}
