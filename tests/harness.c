/* flowsim — test harness (see harness.h). Copyright (C) 2026 the flowsim
 * authors. GPL-3.0-or-later. */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
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
    char *argv[] = {(char *)"test"};
    rc = fs_run(&cfg, traces, ntraces, ps, nspecs, 1, argv);
out:
    for (int i = 0; ps && i < nspecs; i++)
        fs_pipeline_free(&ps[i]);
    free(ps);
    fs_params_free(fs_run_params_def, fs_run_nparams, &cfg);
    return rc;
}

int th_metric(const char *outdir, int pipeline, const char *bin, const char *agg,
              const char *key, const char *metric, double *vals, int max)
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
        char *fld[10];
        int k = 0;
        for (char *s = line, *tok; k < 10 && (tok = strsep(&s, ",")); k++)
            fld[k] = tok;
        if (k != 10)
            continue;
        fld[9][strcspn(fld[9], "\n")] = 0;
        if (strcmp(fld[0], pl) || strcmp(fld[5], bin) || strcmp(fld[6], agg) ||
            strcmp(fld[7], key) || strcmp(fld[8], metric))
            continue;
        int rep = atoi(fld[3]);
        if (rep < max) {
            vals[rep] = strtod(fld[9], NULL);
            if (rep + 1 > n)
                n = rep + 1;
        }
    }
    fclose(f);
    return n;
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
