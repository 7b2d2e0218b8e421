# flowsim paper — claim 8 from the "equal" smart run: p0 = FS alone, p1 =
# byte-only smart sampling, p2 = multi-factor, at thresholds keeping the same
# expected number of records. -v trace, setting.
# Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.

FNR == 1 { next }
$6 == "all" && $7 == "total" && $8 == "all" {
    if ($9 == "rel_err_tcp_arrivals" && isnum($10)) addv($1 SUBSEP "arr", fabs($10))
    if ($9 == "rel_err_bytes" && isnum($10)) addv($1 SUBSEP "bytes", fabs($10))
    if ($9 == "stage1_smart_records_out") addv($1 SUBSEP "rec", $10)
}
END {
    S = SUBSEP
    st = "multi-factor smart sampling keeps flow-count estimates accurate where byte-only smart sampling does not"
    pn = "flow-count estimates up to 8x more accurate (abstract)"
    stat("p0" S "arr"); base = M
    ratio("p1" S "arr", "p2" S "arr")
    row(8, trace, st, pn, setting, "TCP-arrival error byte-only/multi-factor (x)", R, RLO, RHI, v_more(RLO, RHI),
        "mean |rel. error| of total arrivals; FS alone: " f4(base))
    ratio("p2" S "rec", "p1" S "rec")
    row(8, trace, st, pn, setting, "records kept multi-factor/byte-only (equal volume check)", R, RLO, RHI, v_similar(RLO, RHI),
        "similar = CI within [0.8; 1.25]")
    ratio("p2" S "bytes", "p1" S "bytes")
    row(8, trace, st, pn, setting, "byte error multi-factor/byte-only (the price)", R, RLO, RHI, "context", "not part of the claim")
}
