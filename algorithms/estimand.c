/* flowsim — a pipeline's estimand declaration (algo.h, "estimands"): the
 * algorithm's, amended by each record stage in order, and its text form in
 * results.csv.
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include <stdio.h>
#include "algo.h"

const char *const fs_quantity_names[FS_Q__COUNT] = {"bytes", "packets", "flows",
                                                     "tcp_arrivals", "tcp_flows"};

void fs_estimands_of(const fs_algo *algo, const void *aparams, double obs_q,
                     const fs_binning *b, const fs_stage *const *stages,
                     const void *const *sparams, int nstages, fs_estimand out[FS_Q__COUNT])
{
    for (int q = 0; q < FS_Q__COUNT; q++)
        fs_estimand_set(out, q, FS_EST_UNBIASED, NULL);
    if (algo->estimands)
        algo->estimands(aparams, obs_q, b, out);
    for (int j = 0; j < nstages; j++)
        if (stages[j]->estimands)
            stages[j]->estimands(sparams[j], b, out);
}

void fs_estimand_text(const fs_estimand *e, char *buf, size_t n)
{
    const char *how = e->how ? e->how : "";
    switch (e->status) {
    case FS_EST_BIASED: snprintf(buf, n, "biased:%s", how); break;
    case FS_EST_UNBIASED_IF: snprintf(buf, n, "unbiased-if:%s", how); break;
    case FS_EST_NA: snprintf(buf, n, "na"); break;
    default: snprintf(buf, n, "unbiased"); break;
    }
}

/* Active flows are a per-(bin, key) count, not a sum: after a stage that
 * keeps each record on its own draw (uniform, smart), a flow with several
 * records in a bin counts with weight 1/r if any of them survives (biased
 * up), so the count stays unbiased only when the meter exports at most one
 * record per flow and bin. Sums (bytes, packets, M1, M2) stay unbiased by
 * Horvitz-Thompson and keep their declaration. */
void fs_estimands_record_sampled(fs_estimand io[FS_Q__COUNT])
{
    fs_estimand *f = &io[FS_Q_FLOWS];
    if (f->status != FS_EST_NA && f->status != FS_EST_BIASED && !f->one_record)
        fs_estimand_set(io, FS_Q_FLOWS, FS_EST_BIASED, "records-not-flows");
}
