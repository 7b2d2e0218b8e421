/* flowsim — export model and sending (see export.h; the formats in wire.h).
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include "export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "sampler.h"

const char *const fs_exp_fmt_names[] = {"v5", "v9", "ipfix", NULL};

void fs_exporter_init(fs_exporter *x, const fs_export_cfg *cfg, fs_acct *acct)
{
    memset(x, 0, sizeof *x);
    x->cfg = *cfg;
    x->acct = acct;
    x->due = INT64_MIN;
    for (int f = 0; f < FS_EXP__COUNT; f++)
        x->lane[f].announced = 1;
}

/* Recomputes when the next datagram falls due by max_delay. */
static void update_due(fs_exporter *x)
{
    x->due = FS_NS_INF;
    if (x->cfg.max_delay == FS_NS_INF)
        return;
    for (int f = 0; f < FS_EXP__COUNT; f++) {
        const fs_export_lane *l = &x->lane[f];
        if (l->cur.nrec && l->cur_first + x->cfg.max_delay < x->due)
            x->due = l->cur_first + x->cfg.max_delay;
    }
}

static void latch_boot(fs_exporter *x, fs_ns t)
{
    if (x->have_boot)
        return;
    fs_ns s = t / FS_NS_PER_S * FS_NS_PER_S;
    x->boot = s > t ? s - FS_NS_PER_S : s;   /* whole second at or before t */
    x->have_boot = 1;
}

/* ---- encoding ---------------------------------------------------------------------- */
static void encode_send(fs_exporter *x, int f, fs_ns t, uint64_t size)
{
    fs_export_lane *l = &x->lane[f];
    const fs_record **recs = malloc((l->cur.nrec ? l->cur.nrec : 1) * sizeof *recs);
    if (size > x->dgram_cap) {
        uint8_t *d = realloc(x->dgram, size);
        if (d) {
            x->dgram = d;
            x->dgram_cap = size;
        }
    }
    if (!recs || size > x->dgram_cap) {
        free(recs);
        for (int i = 0; i < x->nsinks; i++)
            if (x->sinks[i].fmt == f && !x->sinks[i].err[0])
                snprintf(x->sinks[i].err, sizeof x->sinks[i].err, "out of memory");
        return;
    }
    for (uint32_t i = 0; i < l->cur.nrec; i++) {
        fs_record *r = &l->rec[i];
        if (r->n_bins) {
            r->bin_pkts = l->pk + l->pair_off[i];
            r->bin_bytes = l->by + l->pair_off[i];
        }
        recs[i] = r;
    }
    uint32_t seq = (uint32_t)(f == FS_EXP_V5 ? l->records : f == FS_EXP_V9 ? l->datagrams
                                                                            : l->data_records);
    fs_wire_dgram d = {f, &l->cur, recs, t, x->boot, seq, x->source_id, l->cur_interval,
                       x->samp_algo};
    size_t n = fs_wire_encode(&d, x->dgram, x->dgram_cap);
    free(recs);
    if (n != size) {
        /* cannot happen: the encoder and the model walk the same tables */
        x->mismatches++;
        fprintf(stderr, "flowsim: internal error: %s datagram encoded in %zu bytes, model "
                "%llu\n", fs_exp_fmt_names[f], n, (unsigned long long)size);
        abort();
    }
    for (int i = 0; i < x->nsinks; i++)
        if (x->sinks[i].fmt == f)
            fs_wire_sink_write(&x->sinks[i], x->dgram, n);
}

static int keep_record(fs_export_lane *l, const fs_record *r)
{
    uint32_t i = l->cur.nrec;
    if (i >= l->rec_cap) {
        size_t c = l->rec_cap ? 2 * l->rec_cap : 64;
        fs_record *nr = realloc(l->rec, c * sizeof *nr);
        if (!nr)
            return -1;
        l->rec = nr;
        size_t *no = realloc(l->pair_off, c * sizeof *no);
        if (!no)
            return -1;
        l->pair_off = no;
        l->rec_cap = c;
    }
    if (i == 0)
        l->npairs = 0;
    l->rec[i] = *r;
    l->rec[i].bin_pkts = NULL;
    l->rec[i].bin_bytes = NULL;
    l->pair_off[i] = l->npairs;
    if (r->n_bins) {
        size_t need = l->npairs + r->n_bins;
        if (need > l->pairs_cap) {
            size_t c = need * 2;
            uint32_t *p = realloc(l->pk, c * sizeof *p);
            if (!p)
                return -1;
            l->pk = p;
            double *b = realloc(l->by, c * sizeof *b);
            if (!b)
                return -1;
            l->by = b;
            l->pairs_cap = c;
        }
        for (uint32_t j = 0; j < r->n_bins; j++) {
            l->pk[l->npairs + j] = r->bin_pkts ? r->bin_pkts[j] : 0;
            l->by[l->npairs + j] = r->bin_bytes ? r->bin_bytes[j] : 0;
        }
        l->npairs = need;
    } else {
        l->rec[i].n_bins = 0;
    }
    return 0;
}

/* ---- the model ----------------------------------------------------------------------- */
static void send_dgram(fs_exporter *x, int f, fs_ns t)
{
    fs_export_lane *l = &x->lane[f];
    if (!l->cur.nrec)
        return;
    uint64_t size = fs_wire_plan_size(f, &l->cur);
    if (size != l->cur.size) {
        /* cannot happen: both walk the same tables (tests/test_export.c) */
        fprintf(stderr, "flowsim: internal error: %s datagram of %llu bytes counted as %llu\n",
                fs_exp_fmt_names[f], (unsigned long long)size,
                (unsigned long long)l->cur.size);
        abort();
    }
    if (l->encode)
        encode_send(x, f, t, size);
    uint64_t bytes = size + (x->cfg.count_l3 ? FS_WIRE_L3 : 0);
    l->known |= l->cur.tmpl;
    if (l->cur.opt_data) {
        l->announced = l->cur_interval;
        l->data_records++;
    }
    l->opt_known |= l->cur.opt_tmpl;
    l->since_template = l->cur_refresh ? 1 : l->since_template + 1;
    l->datagrams++;
    l->bytes += bytes;
    l->records += l->cur.nrec;
    l->data_records += l->cur.nrec;
    /* export_records counts the meter's records, not their pieces */
    if (f == x->cfg.format)
        fs_acct_export(x->acct, t, l->cur.nrec - l->cur_pieces, bytes);
    memset(&l->cur, 0, sizeof l->cur);
    l->cur_pieces = 0;
}

void fs_exporter_advance(fs_exporter *x, fs_ns t)
{
    latch_boot(x, t);
    for (int f = 0; f < FS_EXP__COUNT; f++) {
        fs_export_lane *l = &x->lane[f];
        if (l->cur.nrec && x->cfg.max_delay != FS_NS_INF &&
            t >= l->cur_first + x->cfg.max_delay)
            send_dgram(x, f, l->cur_first + x->cfg.max_delay);
    }
    update_due(x);
}

/* Starts a datagram: does it carry the template refresh, the sampling
 * options? */
static void start(fs_exporter *x, fs_export_lane *l, int f, fs_ns t, uint32_t interval)
{
    l->cur_first = t;
    l->cur_interval = interval;
    l->cur_refresh = f != FS_EXP_V5 &&
                     (l->datagrams == 0 || l->since_template >= x->cfg.template_refresh);
    if (l->cur_refresh)
        l->cur.tmpl = fs_wire_base_kinds(f) | l->known;
    if (f != FS_EXP_V5) {
        l->cur.opt_data = interval != l->announced || (l->cur_refresh && interval != 1);
        l->cur.opt_tmpl = l->cur.opt_data && (!l->opt_known || l->cur_refresh);
    }
    l->cur.size = fs_wire_plan_size(f, &l->cur);
}

/* Adds one wire record to lane f's datagram (sending the datagram first if
 * it does not fit or holds another sampling interval); `piece` = it is a
 * second or later piece of one meter record (below). */
static void lane_add(fs_exporter *x, int f, int kind, const fs_record *r, uint32_t interval,
                     int piece)
{
    fs_export_lane *l = &x->lane[f];
    uint64_t cap = x->cfg.mtu > FS_WIRE_L3 ? x->cfg.mtu - FS_WIRE_L3 : 0;
    uint32_t size = fs_wire_record_size(f, kind, r);
    if (l->cur.nrec && interval != l->cur_interval)
        send_dgram(x, f, r->exported);
    /* a kind's template rides along until the collector has it */
    int tm = !(l->known & (1u << kind));
    if (l->cur.nrec &&
        (l->cur.size + fs_wire_plan_delta(f, &l->cur, kind, size, tm) > cap ||
         (f == FS_EXP_V5 && l->cur.nrec >= FS_WIRE_V5_MAX)))
        send_dgram(x, f, r->exported);
    if (!l->cur.nrec)
        start(x, l, f, r->exported, interval);
    if (l->encode && keep_record(l, r)) {
        for (int i = 0; i < x->nsinks; i++)
            if (x->sinks[i].fmt == f && !x->sinks[i].err[0])
                snprintf(x->sinks[i].err, sizeof x->sinks[i].err, "out of memory");
        l->encode = 0;
    }
    fs_wire_plan_add(f, &l->cur, kind, size, !(l->known & (1u << kind)));
    l->cur_pieces += piece != 0;
    if (f == FS_EXP_V5 && l->cur.nrec >= FS_WIRE_V5_MAX)
        send_dgram(x, f, r->exported);
}

void fs_exporter_record(fs_exporter *x, const fs_record *r)
{
    latch_boot(x, r->first);   /* the engine latched the first packet already */
    fs_exporter_advance(x, r->exported);
    if (r->key.flags & FS_KEY_V6) {
        x->v5_ipv6_records++;
        if (x->cfg.format == FS_EXP_V5 && x->acct) {
            /* exported by the meter (export_records) but not sent: no bytes */
            fs_acct_advance(x->acct, r->exported);
            x->acct->exp_records++;
            x->acct->sec.exp_records++;
        }
    }
    for (int i = 0; i < x->nsinks; i++)
        if (x->sinks[i].fmt >= FS_EXP__COUNT)
            fs_wire_line(&x->sinks[i], r);
    uint32_t interval = fs_wire_interval(r);
    for (int f = 0; f < FS_EXP__COUNT; f++) {
        int kind = fs_wire_kind(f, r);
        if (kind < 0)
            continue;   /* v5 cannot carry IPv6 */
        if (f == FS_EXP_IPFIX || r->n_bins < 2 || !r->bin_pkts || !r->bin_bytes) {
            lane_add(x, f, kind, r, interval, 0);
            continue;
        }
        /* v5 and v9 records have no field for Flow Slices' counter pairs
         * (§2.4.7): the record travels as one record per pair with packets,
         * holding that pair's counters (key, times and flags of the slice;
         * bin_id = the pair's counter bin), as per-bin records would
         * without the binned extension. */
        int piece = 0;
        for (uint32_t k = 0; k < r->n_bins; k++) {
            if (!r->bin_pkts[k])
                continue;
            fs_record c = *r;
            c.pkts = r->bin_pkts[k];
            c.bytes = r->bin_bytes[k];
            c.n_bins = 0;
            c.bin_pkts = NULL;
            c.bin_bytes = NULL;
            c.bin_id = r->bin_id + (int64_t)k;
            lane_add(x, f, kind, &c, interval, piece++);
        }
    }
    update_due(x);
}

void fs_exporter_finish(fs_exporter *x, fs_ns t)
{
    fs_exporter_advance(x, t);
    for (int f = 0; f < FS_EXP__COUNT; f++)
        send_dgram(x, f, t);
    update_due(x);
}

/* ---- destinations ------------------------------------------------------------------- */
int fs_exporter_open(fs_exporter *x, const char *const *dests, int n, uint32_t source_id,
                     int samp_algo, char *err, size_t errlen)
{
    x->source_id = source_id;
    x->samp_algo = samp_algo;
    if (n <= 0)
        return 0;
    x->sinks = calloc((size_t)n, sizeof *x->sinks);
    if (!x->sinks) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (fs_wire_sink_open(&x->sinks[i], dests[i], err, errlen))
            return -1;
        x->nsinks++;
        if (x->sinks[i].fmt < FS_EXP__COUNT)
            x->lane[x->sinks[i].fmt].encode = 1;
    }
    return 0;
}

int fs_exporter_close(fs_exporter *x, char *err, size_t errlen)
{
    int rc = 0;
    for (int i = 0; i < x->nsinks; i++) {
        fs_wire_sink *s = &x->sinks[i];
        if (s->fmt == FS_EXP_V5 && x->v5_ipv6_records)
            fprintf(stderr, "flowsim: --export '%s': %llu IPv6 records not sent (NetFlow v5 "
                    "carries IPv4 only; export_v5_ipv6_records)\n", s->spec,
                    (unsigned long long)x->v5_ipv6_records);
        char e[400];
        if (fs_wire_sink_close(s, e, sizeof e) && !rc) {
            snprintf(err, errlen, "%s", e);
            rc = -1;
        }
    }
    free(x->sinks);
    x->sinks = NULL;
    x->nsinks = 0;
    return rc;
}

void fs_exporter_free(fs_exporter *x)
{
    char e[400];
    for (int i = 0; i < x->nsinks; i++)
        fs_wire_sink_close(&x->sinks[i], e, sizeof e);
    free(x->sinks);
    x->sinks = NULL;
    x->nsinks = 0;
    for (int f = 0; f < FS_EXP__COUNT; f++) {
        fs_export_lane *l = &x->lane[f];
        free(l->rec);
        free(l->pair_off);
        free(l->pk);
        free(l->by);
        l->rec = NULL;
        l->pair_off = NULL;
        l->pk = NULL;
        l->by = NULL;
        l->rec_cap = l->pairs_cap = 0;
        l->encode = 0;
    }
    free(x->dgram);
    x->dgram = NULL;
    x->dgram_cap = 0;
}

/* Deterministic (1) for systematic and window selection, random (2)
 * otherwise: the observation stage's psamp if any, else the algorithm's own
 * `mode` parameter (Sampled NetFlow's). */
int fs_exporter_open_spec(fs_exporter *x, const fs_pipeline_spec *spec, int pipeline,
                          char *err, size_t errlen)
{
    int algo = 2;
    int ps = spec->common.psamp;
    if (ps == FS_SAMP_SYSTEMATIC || ps == FS_SAMP_WINDOW) {
        algo = 1;
    } else if (ps == FS_SAMP_NONE) {
        const fs_param_def *d = fs_params_find(spec->algo->params, spec->algo->nparams, "mode");
        if (d && spec->aparams) {
            char v[64];
            fs_param_format(d, spec->aparams, v, sizeof v);
            if (!strcmp(v, "systematic") || !strcmp(v, "window"))
                algo = 1;
        }
    }
    return fs_exporter_open(x, spec->exports, spec->nexports, (uint32_t)pipeline, algo, err,
                            errlen);
}
