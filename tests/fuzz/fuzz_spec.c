/* flowsim — libFuzzer target: the text parsers of the command line.
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
 *
 * The input, as a NUL-terminated string (cut at the first NUL), goes to:
 *   1. fs_pipeline_parse + fs_pipeline_free (a -m SPEC: algorithm, its and
 *      the common parameters, up to FS_MAX_STAGES record stages);
 *   2. fs_kv_split + fs_param_set over fs_run_params_def (the options of
 *      flowsim run, as a name=value list) and over fs_gen_param_defs (the
 *      -p list of flowsim gen).
 * Known open bugs (checked only with FUZZ_STRICT=1, see fuzz_common.h):
 * messages quote the input as it is, so an input with a line break gives a
 * message of several lines; the label writes string values unquoted, so a
 * filter holding '|' or a quote does not parse back, and any value whose
 * text is 255 characters or more is cut (rate=1e-300 is "1/9999...", 303).
 * Properties checked besides the sanitizers (LeakSanitizer included):
 *   - a failure has a non-empty one-line message;
 *   - a parsed pipeline has its label, params_csv and params_all, and its
 *     label (documented as the canonical spec) parses again into the same
 *     full parameter set;
 *   - a value fs_param_set accepts is formatted (fs_param_format) into text
 *     that fs_param_set accepts again and formats the same way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "fuzz_common.h"
#include "gen_api.h"
#include "params.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int input_eol;   /* the input holds '\n' or '\r' */

/* 1 if a value of p hits a known bug of the label: a string holding '|' or
 * a quote (written unquoted), or any value whose text is 255 characters or
 * more (engine.c's params_text cuts it: 1e-300 is "1/9999...", 303 chars). */
static int values_bad(const fs_param_def *defs, size_t n, const void *vals)
{
    char buf[1024];
    for (size_t i = 0; i < n; i++) {
        fs_param_format(&defs[i], vals, buf, sizeof buf);
        if (strlen(buf) >= 255 || (defs[i].type == FS_P_STRING && strpbrk(buf, "|'\"")))
            return 1;
    }
    return 0;
}

static int label_known_bad(const fs_pipeline_spec *p)
{
    if (values_bad(p->algo->params, p->algo->nparams, p->aparams) ||
        values_bad(fs_common_params_def, fs_common_nparams, &p->common))
        return 1;
    for (int i = 0; i < p->nstages; i++)
        if (values_bad(p->stages[i].stage->params, p->stages[i].stage->nparams,
                       p->stages[i].params))
            return 1;
    return 0;
}

typedef struct kvctx {
    const fs_param_def *defs;
    size_t n;
    void *vals;      /* the values being set */
    void *scratch;   /* for the round trip   */
} kvctx;

static int kv_set(const char *name, const char *value, void *vctx, char *err, size_t errlen)
{
    kvctx *k = vctx;
    const fs_param_def *d = fs_params_find(k->defs, k->n, name);
    if (!d) {
        snprintf(err, errlen, "fuzz: unknown parameter '%s'", name);
        return -1;
    }
    err[0] = '\0';
    if (fs_param_set(d, k->vals, value, "fuzz", err, errlen) != 0) {
        fz_check_msg_in("fs_param_set", err, input_eol);
        return -1;
    }
    char t1[512], t2[512];
    fs_param_format(d, k->vals, t1, sizeof t1);
    if (strlen(t1) + 1 >= sizeof t1)
        return 0;   /* formatted text cut by the buffer: nothing to compare */
    char e2[512] = "";
    FZ_CHECK(fs_param_set(d, k->scratch, t1, "fuzz", e2, sizeof e2) == 0,
             "%s=%s formats as '%s', which does not parse: %s", name, value, t1, e2);
    fs_param_format(d, k->scratch, t2, sizeof t2);
    FZ_CHECK(!strcmp(t1, t2), "%s=%s: formats as '%s', then as '%s'", name, value, t1, t2);
    return 0;
}

static void fuzz_list(const fs_param_def *defs, size_t n, size_t size, const char *s)
{
    void *vals = calloc(1, size), *scratch = calloc(1, size);
    char err[1024];
    if (!vals || !scratch)
        abort();
    FZ_CHECK(fs_params_defaults(defs, n, vals, err, sizeof err) == 0, "defaults: %s", err);
    FZ_CHECK(fs_params_defaults(defs, n, scratch, err, sizeof err) == 0, "defaults: %s", err);
    kvctx k = {defs, n, vals, scratch};
    err[0] = '\0';
    if (fs_kv_split(s, "fuzz", kv_set, &k, err, sizeof err) != 0)
        fz_check_msg_in("fs_kv_split", err, input_eol);
    fs_params_free(defs, n, vals);
    fs_params_free(defs, n, scratch);
    free(vals);
    free(scratch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    input_eol = strpbrk(s, "\n\r") != NULL;

    fs_pipeline_spec p;
    char err[1024];
    err[0] = '\0';
    if (fs_pipeline_parse(s, &p, err, sizeof err) == 0) {
        FZ_CHECK(p.algo && p.label && p.params_csv && p.params_all && p.spec,
                 "parsed pipeline without its texts");
        FZ_CHECK(p.nstages >= 0 && p.nstages <= FS_MAX_STAGES, "nstages %d", p.nstages);
        if (fz_strict() || !label_known_bad(&p)) {
            fs_pipeline_spec q;
            char err2[1024] = "";
            FZ_CHECK(fs_pipeline_parse(p.label, &q, err2, sizeof err2) == 0,
                     "spec '%s' has label '%s', which does not parse: %s", s, p.label, err2);
            FZ_CHECK(!strcmp(p.params_all, q.params_all),
                     "spec '%s': label '%s' parses into other parameters:\n  %s\n  %s", s,
                     p.label, p.params_all, q.params_all);
            fs_pipeline_free(&q);
        }
        fs_pipeline_free(&p);
    } else {
        fz_check_msg_in("fs_pipeline_parse", err, input_eol);
        fs_pipeline_free(&p);   /* as main.c does after a failed parse */
    }

    fuzz_list(fs_run_params_def, fs_run_nparams, sizeof(fs_run_cfg), s);
    fuzz_list(fs_gen_param_defs, fs_gen_n_params, sizeof(fs_gen_params), s);
    free(s);
    return 0;
}
