/* flowsim — test harness (see harness.h). Copyright (C) 2026 the flowsim
 * authors. GPL-3.0-or-later. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "rng.h"
#include "params.h"

static int set_run(const char *name, const char *value, void *ctx, char *err, size_t errlen)
{
    const fs_param_def *d = fs_params_find(fs_run_params_def, fs_run_nparams, name);
    if (!d) {
        snprintf(err, errlen, "unknown run option %s", name);
        return -1;
    }
    return fs_param_set(d, ctx, value, "th_run", err, errlen);
}

void (*th_spec_hook)(struct fs_pipeline_spec *ps, int n);

int th_run(const char *const *traces, int ntraces, const char *const *specs, int nspecs,
           const char *opts, char *outdir, size_t n)
{
    snprintf(outdir, n, "/tmp/flowsim-run-XXXXXX");
    if (!mkdtemp(outdir))
        return -1;
    fs_run_cfg cfg;
    char err[1024];
    if (fs_params_defaults(fs_run_params_def, fs_run_nparams, &cfg, err, sizeof err))
        return -1;
    char base[512];
    snprintf(base, sizeof base, "out=%s,truth_cache=off,quiet=yes,progress=no,records=all", outdir);
    if (fs_kv_split(base, "th_run", set_run, &cfg, err, sizeof err) ||
        (opts && *opts && fs_kv_split(opts, "th_run", set_run, &cfg, err, sizeof err))) {
        fprintf(stderr, "th_run: %s\n", err);
        fs_params_free(fs_run_params_def, fs_run_nparams, &cfg);
        return -1;
    }
    fs_pipeline_spec *ps = calloc((size_t)nspecs, sizeof *ps);
    int rc = -1;
    if (!ps)
        goto out;
    for (int i = 0; i < nspecs; i++)
        if (fs_pipeline_parse(specs[i], &ps[i], err, sizeof err)) {
            fprintf(stderr, "th_run: %s\n", err);
            goto out;
        }
    if (th_spec_hook)
        th_spec_hook(ps, nspecs);
    char *argv[] = {(char *)"test"};
    rc = fs_run(&cfg, traces, ntraces, ps, nspecs, 1, argv);
out:
    for (int i = 0; ps && i < nspecs; i++)
        fs_pipeline_free(&ps[i]);
    free(ps);
    fs_params_free(fs_run_params_def, fs_run_nparams, &cfg);
    return rc;
}

int th_metric_est(const char *outdir, int pipeline, const char *bin, const char *agg,
                  const char *key, const char *metric, double *vals, int max, char *est,
                  size_t estlen)
{
    char path[600], line[8192];
    snprintf(path, sizeof path, "%s/results.csv", outdir);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int n = 0;
    char pl[16];
    snprintf(pl, sizeof pl, "p%d", pipeline);
    while (fgets(line, sizeof line, f)) {
        char *fld[11];
        int k = 0;
        for (char *s = line, *tok; k < 11 && (tok = strsep(&s, ",")); k++)
            fld[k] = tok;
        if (k != 11)
            continue;
        fld[10][strcspn(fld[10], "\n")] = 0;
        if (strcmp(fld[0], pl) || strcmp(fld[5], bin) || strcmp(fld[6], agg) ||
            strcmp(fld[7], key) || strcmp(fld[8], metric))
            continue;
        int rep = atoi(fld[3]);
        if (rep < max) {
            vals[rep] = strtod(fld[9], NULL);
            if (rep + 1 > n)
                n = rep + 1;
        }
        if (est)
            snprintf(est, estlen, "%s", fld[10]);
    }
    fclose(f);
    return n;
}

int th_metric(const char *outdir, int pipeline, const char *bin, const char *agg,
              const char *key, const char *metric, double *vals, int max)
{
    return th_metric_est(outdir, pipeline, bin, agg, key, metric, vals, max, NULL, 0);
}

static fs_ns parse_ts(const char *s)
{
    long long sec = 0, ns = 0;
    sscanf(s, "%lld.%lld", &sec, &ns);
    return sec * FS_NS_PER_S + ns;
}

int th_records(const char *outdir, int p, int r, th_rec *recs, int max)
{
    char path[600], line[8192];
    snprintf(path, sizeof path, "%s/records/p%d_r%d.csv", outdir, p, r);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int n = 0;
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        return 0;
    }
    while (n < max && fgets(line, sizeof line, f)) {
        char *fld[20];
        int k = 0;
        for (char *s = line, *tok; k < 20 && (tok = strsep(&s, ",")); k++)
            fld[k] = tok;
        if (k < 17)
            continue;
        th_rec *x = &recs[n++];
        memset(x, 0, sizeof *x);
        x->exported = parse_ts(fld[0]);
        x->first = parse_ts(fld[1]);
        x->last = parse_ts(fld[2]);
        snprintf(x->src, sizeof x->src, "%s", fld[3]);
        snprintf(x->dst, sizeof x->dst, "%s", fld[4]);
        x->proto = (unsigned)atoi(fld[5]);
        x->sport = (unsigned)atoi(fld[6]);
        x->dport = (unsigned)atoi(fld[7]);
        x->tos = (unsigned)atoi(fld[8]);
        x->vlan = (unsigned)atoi(fld[9]);
        x->pkts = strtoull(fld[10], NULL, 10);
        x->bytes = strtod(fld[11], NULL);
        x->syn = (unsigned)atoi(fld[12]);
        x->flags = (unsigned)atoi(fld[13]);
        snprintf(x->reason, sizeof x->reason, "%s", fld[14]);
        x->q = strtod(fld[15], NULL);
    }
    fclose(f);
    return n;
}

void th_cleanup(const char *outdir)
{
    char cmd[700];
    /* the directory was made by mkdtemp under /tmp: safe to remove */
    if (strncmp(outdir, "/tmp/flowsim-run-", 17) == 0) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", outdir);
        if (system(cmd) != 0)
            fprintf(stderr, "th_cleanup: could not remove %s\n", outdir);
    }
}

/* ---- driving one meter directly ------------------------------------------- */
#include <gsl/gsl_rng.h>
#include "acct.h"
#include "ftab.h"

fs_pkt th_pkt(fs_ns ts, uint32_t flow, uint8_t proto, uint32_t size, uint8_t flags)
{
    fs_pkt p;
    memset(&p, 0, sizeof p);
    p.ts = ts;
    p.key.src[10] = p.key.src[11] = 0xff;
    p.key.dst[10] = p.key.dst[11] = 0xff;
    p.key.src[12] = 10;
    p.key.src[14] = (uint8_t)(flow >> 8);
    p.key.src[15] = (uint8_t)flow;
    p.key.dst[12] = 10;
    p.key.dst[13] = 1;
    p.key.dst[15] = 1;
    p.key.proto = proto;
    p.key.sport = (uint16_t)(1000 + flow);
    p.key.dport = 80;
    p.ip_len = size;
    p.wire_len = p.caplen = size + 14;
    p.tcp_flags = proto == 6 ? flags : 0;
    p.key_hash = fs_key_hash(&p.key, 0);
    return p;
}

typedef struct th_emit { void (*fn)(void *, const fs_record *); void *ctx; uint64_t n; } th_emit;

static void th_on_record(void *ctx, const fs_record *r)
{
    th_emit *e = ctx;
    e->n++;
    if (e->fn)
        e->fn(e->ctx, r);
}

int th_meter(const char *spec, uint64_t seed, const fs_pkt *pkts, size_t n,
             void (*rec_fn)(void *ctx, const fs_record *r), void *ctx, th_meter_out *out)
{
    fs_pipeline_spec ps;
    char err[1024];
    if (fs_pipeline_parse(spec, &ps, err, sizeof err)) {
        fprintf(stderr, "th_meter: %s\n", err);
        return -1;
    }
    gsl_rng *rng = fs_rng_alloc(seed);   /* the engine's replicate generator */
    void *st = calloc(1, ps.algo->state_size);
    fs_acct acct;
    fs_acct_init(&acct, NULL, NULL);
    th_emit em = {rec_fn, ctx, 0};
    int rc = -1;
    if (!rng || !st)
        goto out;
    fs_meter_env env = {rng, 1.0, &acct, th_on_record, &em, 0};
    if (ps.algo->init(st, ps.aparams, &env, err, sizeof err)) {
        fprintf(stderr, "th_meter: %s\n", err);
        free(st);
        st = NULL;
        goto out;
    }
    fs_ns next = FS_NS_INF;
    for (size_t i = 0; i < n; i++) {
        if (pkts[i].ts >= next)
            next = ps.algo->advance(st, pkts[i].ts);
        next = ps.algo->packet(st, &pkts[i]);
    }
    fs_ns end = n ? pkts[n - 1].ts : 0;
    ps.algo->flush(st, end);
    fs_acct_finish(&acct, end);
    if (out) {
        out->peak_entries = acct.peak;
        out->mean_entries = fs_acct_mean_entries(&acct);
        out->records = em.n;
    }
    rc = 0;
out:
    if (st) {
        ps.algo->destroy(st);
        free(st);
    }
    if (rng)
        gsl_rng_free(rng);
    fs_pipeline_free(&ps);
    return rc;
}

static void th_sum(void *ctx, int64_t bin, const fs_contrib *c)
{
    (void)bin;
    fs_contrib *t = ctx;
    t->pkts += c->pkts;
    t->bytes += c->bytes;
    t->var_pkts += c->var_pkts;
    t->var_bytes += c->var_bytes;
    t->flows += c->flows;
    t->arrivals += c->arrivals;
    t->arrivals_alt += c->arrivals_alt;
}

fs_contrib th_estimate(const char *spec, const fs_record *r, fs_ns bin)
{
    fs_contrib t;
    memset(&t, 0, sizeof t);
    fs_pipeline_spec ps;
    char err[1024];
    if (fs_pipeline_parse(spec, &ps, err, sizeof err)) {
        fprintf(stderr, "th_estimate: %s\n", err);
        return t;
    }
    fs_binning b = {bin};
    ps.algo->estimate(ps.aparams, r, &b, th_sum, &t);
    fs_pipeline_free(&ps);
    return t;
}
