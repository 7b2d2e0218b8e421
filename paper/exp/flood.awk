# flowsim paper — claim 11 from the flood run's timeseries.csv (every
# replicate): p0 Sampled NetFlow, p1 ANF burst, p2 ANF spread, p3 FS adaptive.
# Windows in seconds from the trace start: before = [pre, fa), during =
# [fa, fb + lag). -v trace, setting, M_ (the budget), fa, fb, pre, lag, q.
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.

FNR == 1 { next }
{
    k = $1 SUBSEP $2; s = $3 + 0; reps[k] = 1
    if (s >= pre && s < fa) {
        if ($5 + 0 > mb[k]) mb[k] = $5 + 0
        eb[k] += $8; nb[k]++
    }
    if (s >= fa && s < fb + lag) {
        if ($5 + 0 > md[k]) md[k] = $5 + 0
        ed[k] += $8; nd[k]++
        if ($6 + 0 > rd[k]) rd[k] = $6 + 0
    }
}
END {
    S = SUBSEP
    for (k in reps) {
        split(k, a, SUBSEP); p = a[1]
        if (mb[k] > 0) addv(p S "memgrowth", md[k] / mb[k])
        addv(p S "memflood", md[k])
        if (nb[k] > 0 && eb[k] > 0 && nd[k] > 0) addv(p S "expgrowth", (ed[k] / nd[k]) / (eb[k] / nb[k]))
        addv(p S "recburst", rd[k])
    }
    st = "ANF keeps memory and export bounded under a spoofed flood where Sampled NetFlow's grow"
    pn = "qualitative (abstract); experiment not retrieved"
    stat("p0" S "memgrowth")
    row(11, trace, st, pn, setting, "Sampled NetFlow peak memory during/before the flood (x)", M, LO, HI, v_more(LO, HI), "holds = grows (CI above 1)")
    stat("p0" S "expgrowth")
    row(11, trace, st, pn, setting, "Sampled NetFlow export bytes/s during/before (x)", M, LO, HI, v_more(LO, HI), "holds = grows (CI above 1)")
    # hard bounds: the largest value over all replicates, no interval
    # memory counts both banks of ANF's double buffer (algorithms.md §3.2):
    # the bank being filled (at most M) and the one held for export
    m = vmax("p1" S "memflood") / (2 * M_); stat("p1" S "memflood")
    row(11, trace, st, pn, setting, "ANF (burst) peak memory during the flood / 2M (max over " N " replicates)", m, "nan", "nan", m <= 1 ? "holds" : "does not hold", "double-buffered: bound 2M (M per bank)")
    m = vmax("p1" S "recburst") / M_
    row(11, trace, st, pn, setting, "ANF (burst) most records exported in one second / M (max over " N " replicates)", m, "nan", "nan", m <= 1 ? "holds" : "does not hold", "holds = at most M records per bin burst")
    stat("p1" S "expgrowth")
    row(11, trace, st, pn, setting, "ANF (burst) export bytes/s during/before (x)", M, LO, HI, "context", "mean over the windows")
    m = vmax("p2" S "memflood") / (2 * M_)
    row(11, trace, st, pn, setting, "ANF (spread) peak memory during the flood / 2M (max over " N " replicates)", m, "nan", "nan", m <= 1 ? "holds" : "does not hold", "double-buffered: bound 2M")
    m = vmax("p3" S "memflood") / M_
    row(11, trace, st, pn, setting, "FS (adaptive p) peak memory during the flood / M (max over " N " replicates)", m, "nan", "nan", m <= 1 ? "holds" : "does not hold", "not an ANF claim: FS refuses creations beyond M")
}
