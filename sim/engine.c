/* flowsim — the engine (see engine.h). Copyright (C) 2026 the flowsim
 * authors. GPL-3.0-or-later. */
#include "engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <gsl/gsl_rng.h>
#include <xxhash.h>

#include "acct.h"
#include "eval.h"
#include "export.h"
#include "ftab.h"
#include "reader.h"
#include "sampler.h"
#include "truth.h"

#ifndef FS_GIT_COMMIT
#define FS_GIT_COMMIT "unknown"
#endif

/* ---- parameter tables ------------------------------------------------------------ */
#define C(f) offsetof(fs_common, f)
const fs_param_def fs_common_params_def[] = {
    {"ts_res", FS_P_DURATION, C(ts_res), "0s", "s",
     "observation: timestamps are rounded down to this resolution (0 = as captured); e.g. "
     "100us for software timestamping, 100ns for hardware", 0, 0, NULL, 0},
    {"ts_jitter", FS_P_DURATION, C(ts_jitter), "0s", "s",
     "observation: a uniform delay in [0, ts_jitter) is added to each timestamp; timestamps "
     "are then kept non-decreasing (a packet never precedes the previous one)", 0, 0, NULL, 0},
    {"filter", FS_P_STRING, C(filter), "", "BPF",
     "observation: only packets matching this libpcap filter expression are metered "
     "(empty = all); the ground truth stays the whole trace", 0, 0, NULL, 0},
    {"psamp", FS_P_ENUM, C(psamp), "none", "",
     "observation: packet selection before the meter (PSAMP, RFC 5475): none, systematic "
     "(1 in N from a random phase), random (independent, geometric skips), window (n of N), "
     "hash (on invariant header fields)", 0, 0, fs_samp_mode_names, 0},
    {"psamp_rate", FS_P_PROB, C(psamp_rate), "1", "probability",
     "observation: selection probability of psamp (n/N)", 0, 0, NULL, 0},
    {"psamp_n", FS_P_COUNT, C(psamp_n), "1", "packets",
     "observation: psamp=window: packets selected per block of psamp_n/psamp_rate", 1, 0, NULL, 0},
    {"snaplen", FS_P_BYTES, C(snaplen), "0", "bytes",
     "observation: the meter sees only the first snaplen bytes of each frame (0 = all); "
     "ports or flags cut off read as 0, frames cut inside the IP header are lost. Byte "
     "counts always use the IP total length", 14, 0, NULL, FS_PF_ZERO_OK},
    {"key_tos", FS_P_BOOL, C(key_tos), "yes", "",
     "flow key: include the IP ToS / traffic class (NetFlow does)", 0, 0, NULL, 0},
    {"key_vlan", FS_P_BOOL, C(key_vlan), "no", "",
     "flow key: include the outer VLAN id", 0, 0, NULL, 0},
    {"key_bidir", FS_P_BOOL, C(key_bidir), "no", "",
     "flow key: merge both directions of a conversation into one entry (endpoints sorted)",
     0, 0, NULL, 0},
    {"export", FS_P_ENUM, C(export_fmt), "v5", "",
     "export format whose datagrams are reported as export_* and in the time series: v5, "
     "v9, ipfix (all three are also reported as export_bytes_<format>)", 0, 0,
     fs_exp_fmt_names, 0},
    {"mtu", FS_P_BYTES, C(mtu), "1500", "bytes",
     "export: largest IP datagram carrying records", 576, 65535, NULL, 0},
    {"export_delay", FS_P_DURATION, C(export_delay), "1s", "s",
     "export: a datagram not yet full is sent this long after its first record", 0, 0,
     NULL, FS_PF_INF_OK},
    {"template_refresh", FS_P_COUNT, C(template_refresh), "20", "datagrams",
     "export v9/ipfix: templates are resent every this many datagrams", 1, 0, NULL, 0},
    {"export_l3", FS_P_BOOL, C(export_l3), "no", "",
     "export: count the 28 bytes of IPv4 and UDP header of each datagram", 0, 0, NULL, 0},
    {"entry_bytes", FS_P_BYTES, C(entry_bytes), "64", "bytes/entry",
     "memory model: bytes per flow-cache entry (Cisco: 64)", 1, 0, NULL, 0},
};
#undef C
const size_t fs_common_nparams = sizeof fs_common_params_def / sizeof fs_common_params_def[0];

static const char *const which_names[] = {"none", "first", "all", NULL};
static const char *const progress_names[] = {"no", "yes", "auto", NULL};
#define R(f) offsetof(fs_run_cfg, f)
const fs_param_def fs_run_params_def[] = {
    {"bin", FS_P_DURATION, R(bin), "60s", "s",
     "analysis bin length (bins aligned to the epoch); inf = one bin for the whole trace",
     0, 0, NULL, FS_PF_MIN_EXCL | FS_PF_INF_OK},
    {"seeds", FS_P_COUNT, R(seeds), "1", "replicates",
     "replicates of every pipeline, each with its own random seed", 1, 1e6, NULL, 0},
    {"seed", FS_P_COUNT, R(seed), "1", "",
     "master seed; each replicate's seed is derived from it, the pipeline's parameters and "
     "the replicate number", 0, 0, NULL, 0},
    {"topk", FS_P_COUNT, R(topk), "10", "keys", "k of the top-k heavy-hitter metrics", 1, 1e6,
     NULL, 0},
    {"prefix4", FS_P_COUNT, R(prefix4), "24", "bits", "IPv4 prefix length of the prefix "
     "aggregates", 0, 32, NULL, 0},
    {"prefix6", FS_P_COUNT, R(prefix6), "48", "bits", "IPv6 prefix length of the prefix "
     "aggregates", 0, 128, NULL, 0},
    {"bin_rows", FS_P_ENUM, R(bin_rows), "total", "",
     "per-bin rows in results.csv: none, total (the total aggregate), all (every aggregate)",
     0, 0, fs_bin_rows_names, 0},
    {"records", FS_P_ENUM, R(records), "first", "",
     "write exported records: none, first (replicate 0 of each pipeline), all", 0, 0,
     which_names, 0},
    {"timeseries", FS_P_ENUM, R(timeseries), "first", "",
     "write the per-second time series: none, first (replicate 0), all", 0, 0, which_names, 0},
    {"truth_cache", FS_P_STRING, R(truth_cache), "auto", "directory",
     "ground-truth cache directory; auto = $FLOWSIM_CACHE, else $XDG_CACHE_HOME/flowsim, "
     "else ~/.cache/flowsim; off = no cache", 0, 0, NULL, 0},
    {"out", FS_P_STRING, R(out), "results/run", "directory", "output directory", 0, 0, NULL, 0},
    {"progress", FS_P_ENUM, R(progress), "auto", "",
     "progress line on stderr: no, yes, auto (when stderr is a terminal)", 0, 0,
     progress_names, 0},
    {"quiet", FS_P_BOOL, R(quiet), "no", "", "no summary table on stdout", 0, 0, NULL, 0},
};
#undef R
const size_t fs_run_nparams = sizeof fs_run_params_def / sizeof fs_run_params_def[0];

/* ---- pipeline specs ---------------------------------------------------------------- */
typedef struct parse_ctx {
    fs_pipeline_spec *p;
    const char *spec;
    char seen[64][64];
    int nseen;
} parse_ctx;

static int set_param(const char *name, const char *value, void *vctx, char *err, size_t errlen)
{
    parse_ctx *cx = vctx;
    for (int i = 0; i < cx->nseen; i++)
        if (!strcmp(cx->seen[i], name)) {
            snprintf(err, errlen, "%s: parameter %s given twice", cx->spec, name);
            return -1;
        }
    if (cx->nseen < 64)
        snprintf(cx->seen[cx->nseen++], sizeof cx->seen[0], "%s", name);
    const fs_algo *a = cx->p->algo;
    const fs_param_def *d = fs_params_find(a->params, a->nparams, name);
    if (d)
        return fs_param_set(d, cx->p->aparams, value, cx->spec, err, errlen);
    d = fs_params_find(fs_common_params_def, fs_common_nparams, name);
    if (d)
        return fs_param_set(d, &cx->p->common, value, cx->spec, err, errlen);
    size_t k = (size_t)snprintf(err, errlen, "%s: unknown parameter '%s' for %s (known:", cx->spec,
                                name, a->name);
    for (size_t i = 0; i < a->nparams && k < errlen; i++)
        k += (size_t)snprintf(err + k, errlen - k, " %s", a->params[i].name);
    if (k < errlen)
        snprintf(err + k, errlen - k, "; and the common ones, see flowsim algorithms)");
    return -1;
}

/* Appends "name=value" of each parameter (all, or those differing from the
 * default) to buf, separated by sep. */
static void params_text(const fs_param_def *defs, size_t n, const void *vals, void *scratch,
                        int all, char sep, char *buf, size_t len)
{
    size_t k = strlen(buf);
    char v[256], dv[256];
    for (size_t i = 0; i < n; i++) {
        fs_param_format(&defs[i], vals, v, sizeof v);
        if (!all) {
            char err[64];
            if (defs[i].type == FS_P_STRING) {
                char *nul = NULL;
                memcpy((char *)scratch + defs[i].offset, &nul, sizeof nul);
            }
            if (fs_param_set(&defs[i], scratch, defs[i].def, NULL, err, sizeof err) == 0) {
                fs_param_format(&defs[i], scratch, dv, sizeof dv);
                if (defs[i].type == FS_P_STRING) {
                    char *s;
                    memcpy(&s, (char *)scratch + defs[i].offset, sizeof s);
                    free(s);
                }
                if (!strcmp(v, dv))
                    continue;
            }
        }
        if (k + strlen(defs[i].name) + strlen(v) + 3 >= len)
            break;
        k += (size_t)snprintf(buf + k, len - k, "%s%s=%s", k ? (char[]){sep, 0} : "",
                              defs[i].name, v);
    }
}

/* Splits s at top-level '|' (outside quotes) into at most max parts. */
static int split_stages(const char *s, char **parts, int max)
{
    int n = 0;
    const char *start = s;
    char q = 0;
    for (const char *c = s;; c++) {
        if (q) {
            if (*c == q)
                q = 0;
            else if (!*c)
                return -1;
            continue;
        }
        if (*c == '"' || *c == '\'') {
            q = *c;
            continue;
        }
        if (*c == '|' || !*c) {
            if (n == max)
                return -2;
            parts[n] = strndup(start, (size_t)(c - start));
            if (!parts[n])
                return -1;
            n++;
            if (!*c)
                return n;
            start = c + 1;
        }
    }
}

static int stage_param(const char *name, const char *value, void *vctx, char *err,
                       size_t errlen)
{
    parse_ctx *cx = vctx;
    for (int i = 0; i < cx->nseen; i++)
        if (!strcmp(cx->seen[i], name)) {
            snprintf(err, errlen, "%s: parameter %s given twice", cx->spec, name);
            return -1;
        }
    if (cx->nseen < 64)
        snprintf(cx->seen[cx->nseen++], sizeof cx->seen[0], "%s", name);
    fs_stage_spec *st = &cx->p->stages[cx->p->nstages - 1];
    const fs_param_def *d = fs_params_find(st->stage->params, st->stage->nparams, name);
    if (d)
        return fs_param_set(d, st->params, value, cx->spec, err, errlen);
    size_t k = (size_t)snprintf(err, errlen, "%s: unknown parameter '%s' for record stage %s "
                                "(known:", cx->spec, name, st->stage->name);
    for (size_t i = 0; i < st->stage->nparams && k < errlen; i++)
        k += (size_t)snprintf(err + k, errlen - k, " %s", st->stage->params[i].name);
    if (k < errlen)
        snprintf(err + k, errlen - k, ")");
    return -1;
}

/* Parses one record stage "name[:params]" into out->stages. */
static int parse_stage(const char *part, const char *ctx, fs_pipeline_spec *out, char *err,
                       size_t errlen)
{
    const char *colon = strchr(part, ':');
    char name[64];
    size_t nl = colon ? (size_t)(colon - part) : strlen(part);
    if (nl == 0 || nl >= sizeof name) {
        snprintf(err, errlen, "%s: expected |STAGE[:param=value,...]", ctx);
        return -1;
    }
    memcpy(name, part, nl);
    name[nl] = 0;
    const fs_stage *st = fs_stage_find(name);
    if (!st) {
        size_t k = (size_t)snprintf(err, errlen, "%s: unknown record stage '%s' (known:", ctx,
                                    name);
        for (size_t i = 0; i < fs_stage_count() && k < errlen; i++)
            k += (size_t)snprintf(err + k, errlen - k, " %s", fs_stage_at(i)->name);
        if (k < errlen)
            snprintf(err + k, errlen - k, ")");
        return -1;
    }
    fs_stage_spec *ss = &out->stages[out->nstages++];
    ss->stage = st;
    ss->params = calloc(1, st->params_size ? st->params_size : 1);
    if (!ss->params) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (fs_params_defaults(st->params, st->nparams, ss->params, err, errlen))
        return -1;
    parse_ctx pc = {.p = out, .spec = ctx};
    if (colon && fs_kv_split(colon + 1, ctx, stage_param, &pc, err, errlen))
        return -1;
    if (st->check && st->check(ss->params, err, errlen)) {
        char tmp[512];
        snprintf(tmp, sizeof tmp, "%s: %s", ctx, err);
        snprintf(err, errlen, "%s", tmp);
        return -1;
    }
    return 0;
}

/* "name=value;..." of a stage's parameters, each prefixed "stage.". */
static void stage_params_text(const fs_stage_spec *ss, int all, char sep, char *buf, size_t len)
{
    char tmp[2048] = "";
    void *scratch = all ? NULL : calloc(1, ss->stage->params_size ? ss->stage->params_size : 1);
    params_text(ss->stage->params, ss->stage->nparams, ss->params, scratch, all, '\x1f', tmp,
                sizeof tmp);
    free(scratch);
    size_t k = strlen(buf);
    /* always name the stage, even with default parameters */
    k += (size_t)snprintf(buf + k, len - k, "%s%s", k ? (char[]){sep, 0} : "", ss->stage->name);
    if (!*tmp)
        return;
    k += (size_t)snprintf(buf + k, len - k, ".");
    for (char *t = tmp; *t && k + 2 < len; t++) {
        if (*t == '\x1f')
            k += (size_t)snprintf(buf + k, len - k, "%c%s.", sep, ss->stage->name);
        else
            buf[k++] = *t, buf[k] = 0;
    }
}

int fs_pipeline_parse(const char *spec, fs_pipeline_spec *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char ctx[300];
    snprintf(ctx, sizeof ctx, "-m '%s'", spec);
    char *parts[FS_MAX_STAGES + 1] = {0};
    int nparts = split_stages(spec, parts, FS_MAX_STAGES + 1);
    if (nparts < 0) {
        snprintf(err, errlen, nparts == -2 ? "%s: more than %d record stages" :
                                             "%s: unterminated quote", ctx, FS_MAX_STAGES);
        return -1;
    }
    const char *head = parts[0];
    const char *colon = strchr(head, ':');
    char name[64];
    size_t nl = colon ? (size_t)(colon - head) : strlen(head);
    void *scratch_a = NULL;
    int rc = -1;
    if (nl == 0 || nl >= sizeof name) {
        snprintf(err, errlen, "%s: expected ALGORITHM[:param=value,...]", ctx);
        goto done;
    }
    memcpy(name, head, nl);
    name[nl] = 0;
    out->algo = fs_algo_find(name);
    if (!out->algo) {
        size_t k = (size_t)snprintf(err, errlen, "%s: unknown algorithm '%s' (known:", ctx, name);
        for (size_t i = 0; i < fs_algo_count() && k < errlen; i++)
            k += (size_t)snprintf(err + k, errlen - k, " %s", fs_algo_at(i)->name);
        if (k < errlen)
            snprintf(err + k, errlen - k, ")");
        goto done;
    }
    out->spec = strdup(spec);
    out->aparams = calloc(1, out->algo->params_size);
    scratch_a = calloc(1, out->algo->params_size);
    fs_common scratch_c;
    memset(&scratch_c, 0, sizeof scratch_c);
    if (!out->spec || !out->aparams || !scratch_a) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    if (fs_params_defaults(out->algo->params, out->algo->nparams, out->aparams, err, errlen) ||
        fs_params_defaults(fs_common_params_def, fs_common_nparams, &out->common, err, errlen))
        goto done;
    parse_ctx pc = {.p = out, .spec = ctx};
    if (colon && fs_kv_split(colon + 1, ctx, set_param, &pc, err, errlen))
        goto done;
    if (out->algo->check && out->algo->check(out->aparams, err, errlen)) {
        char tmp[512];
        snprintf(tmp, sizeof tmp, "%s: %s", ctx, err);
        snprintf(err, errlen, "%s", tmp);
        goto done;
    }
    for (int i = 1; i < nparts; i++)
        if (parse_stage(parts[i], ctx, out, err, errlen))
            goto done;
    {
        char buf[4096] = "";
        params_text(out->algo->params, out->algo->nparams, out->aparams, scratch_a, 0, ';', buf,
                    sizeof buf);
        params_text(fs_common_params_def, fs_common_nparams, &out->common, &scratch_c, 0, ';',
                    buf, sizeof buf);
        for (int i = 0; i < out->nstages; i++)
            stage_params_text(&out->stages[i], 0, ';', buf, sizeof buf);
        out->params_csv = strdup(buf);
        /* label: the canonical spec, with ',' between parameters */
        char lab[4200];
        size_t k = (size_t)snprintf(lab, sizeof lab, "%s", out->algo->name);
        char one[4096] = "";
        params_text(out->algo->params, out->algo->nparams, out->aparams, scratch_a, 0, ',', one,
                    sizeof one);
        params_text(fs_common_params_def, fs_common_nparams, &out->common, &scratch_c, 0, ',',
                    one, sizeof one);
        if (*one)
            k += (size_t)snprintf(lab + k, sizeof lab - k, ":%s", one);
        for (int i = 0; i < out->nstages && k < sizeof lab; i++) {
            char sp[2048] = "";
            void *sc = calloc(1, out->stages[i].stage->params_size ? out->stages[i].stage->params_size : 1);
            params_text(out->stages[i].stage->params, out->stages[i].stage->nparams,
                        out->stages[i].params, sc, 0, ',', sp, sizeof sp);
            free(sc);
            k += (size_t)snprintf(lab + k, sizeof lab - k, "|%s%s%s", out->stages[i].stage->name,
                                  *sp ? ":" : "", sp);
        }
        out->label = strdup(lab);
        buf[0] = 0;
        params_text(out->algo->params, out->algo->nparams, out->aparams, NULL, 1, ';', buf,
                    sizeof buf);
        params_text(fs_common_params_def, fs_common_nparams, &out->common, NULL, 1, ';', buf,
                    sizeof buf);
        for (int i = 0; i < out->nstages; i++)
            stage_params_text(&out->stages[i], 1, ';', buf, sizeof buf);
        out->params_all = strdup(buf);
        if (!out->params_csv || !out->label || !out->params_all) {
            snprintf(err, errlen, "out of memory");
            goto done;
        }
    }
    rc = 0;
done:
    for (int i = 0; i < nparts; i++)
        free(parts[i]);
    free(scratch_a);
    if (rc)
        fs_pipeline_free(out);
    return rc;
}

void fs_pipeline_free(fs_pipeline_spec *p)
{
    for (int i = 0; i < p->nstages; i++) {
        if (p->stages[i].params)
            fs_params_free(p->stages[i].stage->params, p->stages[i].stage->nparams,
                           p->stages[i].params);
        free(p->stages[i].params);
    }
    if (p->algo && p->aparams)
        fs_params_free(p->algo->params, p->algo->nparams, p->aparams);
    fs_params_free(fs_common_params_def, fs_common_nparams, &p->common);
    free(p->aparams);
    free(p->spec);
    free(p->label);
    free(p->params_csv);
    free(p->params_all);
    memset(p, 0, sizeof *p);
}

/* ---- key configurations ------------------------------------------------------------ */
enum { KC_TOS = 1, KC_VLAN = 2, KC_BIDIR = 4, KC__COUNT = 8 };

static int keycfg_of(const fs_common *c)
{
    return (c->key_tos ? KC_TOS : 0) | (c->key_vlan ? KC_VLAN : 0) | (c->key_bidir ? KC_BIDIR : 0);
}

static void make_key(const fs_key *in, int kc, fs_key *out)
{
    *out = *in;
    if (!(kc & KC_TOS))
        out->tos = 0;
    if (!(kc & KC_VLAN))
        out->vlan = 0;
    if (kc & KC_BIDIR) {
        int c = memcmp(out->src, out->dst, 16);
        if (c > 0 || (c == 0 && out->sport > out->dport)) {
            uint8_t t[16];
            memcpy(t, out->src, 16);
            memcpy(out->src, out->dst, 16);
            memcpy(out->dst, t, 16);
            uint16_t p = out->sport;
            out->sport = out->dport;
            out->dport = p;
        }
    }
}

/* ---- one pipeline-replicate ---------------------------------------------------------- */
typedef struct bpf_for_dlt {
    int dlt;
    struct bpf_program prog;
} bpf_for_dlt;

struct prun;
typedef struct stage_run {
    const fs_stage *stage;
    void           *state;
} stage_run;

typedef struct prun {
    const fs_pipeline_spec *spec;
    stage_run stages[FS_MAX_STAGES];
    int       nstages;
    int       pipeline, rep;
    uint64_t  seed;
    gsl_rng  *rng;
    void     *state;
    fs_ns     next_ev, now;
    int       kc;
    fs_acct   acct;
    fs_exporter exp;
    fs_eval   ev;
    FILE     *rows, *records, *ts;
    fs_ns     ts_origin_s;
    /* observation stage */
    fs_sampler samp;
    bpf_for_dlt *bpf;
    int       nbpf;
    fs_ns     obs_last;
    uint64_t  obs_in, obs_filtered, obs_unselected, obs_trunc_ip, obs_trunc_l4, obs_clamped;
    uint64_t  reasons[FS_REASON__COUNT];
    int       started;
} prun;

static void addr_text(const fs_key *k, int dst, char *buf, size_t n)
{
    const uint8_t *a = dst ? k->dst : k->src;
    if (k->flags & FS_KEY_V6)
        inet_ntop(AF_INET6, a, buf, (socklen_t)n);
    else
        inet_ntop(AF_INET, a + 12, buf, (socklen_t)n);
}

static void on_record(void *ctx, const fs_record *r)
{
    prun *u = ctx;
    u->reasons[r->reason < FS_REASON__COUNT ? r->reason : 0]++;
    fs_exporter_record(&u->exp, r);
    fs_eval_record(&u->ev, u->spec->algo, u->spec->aparams, r);
    if (u->records) {
        char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
        addr_text(&r->key, 0, s, sizeof s);
        addr_text(&r->key, 1, d, sizeof d);
        fprintf(u->records,
                "%lld.%09lld,%lld.%09lld,%lld.%09lld,%s,%s,%u,%u,%u,%u,%u,%llu,%.17g,%u,%u,%s,"
                "%.17g,%.17g,%.17g,%.17g,%lld\n",
                (long long)(r->exported / FS_NS_PER_S), (long long)(r->exported % FS_NS_PER_S),
                (long long)(r->first / FS_NS_PER_S), (long long)(r->first % FS_NS_PER_S),
                (long long)(r->last / FS_NS_PER_S), (long long)(r->last % FS_NS_PER_S), s, d,
                r->key.proto, r->key.sport, r->key.dport, r->key.tos, r->key.vlan,
                (unsigned long long)r->pkts, r->bytes, r->syn_pkts, r->tcp_flags,
                fs_reason_name[r->reason < FS_REASON__COUNT ? r->reason : 0], r->q_pkt,
                r->p_slice, r->p_end, r->weight, (long long)r->bin_id);
    }
}

static void to_stage(void *ctx, const fs_record *r)
{
    stage_run *sr = ctx;
    sr->stage->record(sr->state, r);
}

typedef struct est_sum { double pkts, bytes, arr; } est_sum;

static void sum_contrib(void *ctx, int64_t bin, const fs_contrib *c)
{
    (void)bin;
    est_sum *e = ctx;
    e->pkts += c->pkts;
    e->bytes += c->bytes;
    e->arr += c->arrivals;
}

/* A record's whole-record estimates from the meter's own estimators. */
static void stage_estimate(void *ctx, const fs_record *r, double *pkts, double *bytes,
                           double *arrivals)
{
    const prun *u = ctx;
    fs_binning one = {FS_NS_INF};
    est_sum e = {0, 0, 0};
    u->spec->algo->estimate(u->spec->aparams, r, &one, sum_contrib, &e);
    *pkts = e.pkts;
    *bytes = e.bytes;
    *arrivals = e.arr;
}

static void on_second(void *ctx, const fs_acct_window *w)
{
    prun *u = ctx;
    if (!u->ts)
        return;
    double mean = w->span > 0 ? w->mem_area / (double)w->span : (double)w->mem_max;
    fprintf(u->ts, "p%d,%d,%lld,%.6f,%lld,%llu,%llu,%llu\n", u->pipeline, u->rep,
            (long long)(w->index - u->ts_origin_s), mean, (long long)w->mem_max,
            (unsigned long long)w->exp_records, (unsigned long long)w->exp_datagrams,
            (unsigned long long)w->exp_bytes);
}


/* ---- the run ---------------------------------------------------------------------------- */
typedef struct runctx {
    const fs_run_cfg *cfg;
    fs_pipeline_spec *specs;
    int       nspecs;
    prun     *runs;
    size_t    nruns;
    fs_truth  truth[KC__COUNT];
    int       truth_used[KC__COUNT];
    int       truth_cached[KC__COUNT];
    fs_reader *reader;
    fs_binning binning;
    char      err[1024];
    int       status;          /* exit status so far */
    uint64_t  packets;
    fs_ns     first_ts, last_ts;
    int       have_ts;
} runctx;

static uint64_t derive_seed(uint64_t master, const char *identity, uint64_t rep)
{
    char buf[8192];
    int n = snprintf(buf, sizeof buf, "%s/%llu", identity, (unsigned long long)rep);
    return XXH3_64bits_withSeed(buf, (size_t)(n < (int)sizeof buf ? n : (int)sizeof buf - 1),
                                master);
}

static int mkdir_p(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0777) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(tmp, 0777) && errno != EEXIST ? -1 : 0;
}

static const char *cache_dir(const fs_run_cfg *cfg, char *buf, size_t n)
{
    const char *c = cfg->truth_cache;
    if (!strcmp(c, "off"))
        return NULL;
    if (strcmp(c, "auto"))
        return c;
    const char *e;
    if ((e = getenv("FLOWSIM_CACHE")) && *e)
        return e;
    if ((e = getenv("XDG_CACHE_HOME")) && *e) {
        snprintf(buf, n, "%s/flowsim", e);
        return buf;
    }
    if ((e = getenv("HOME")) && *e) {
        snprintf(buf, n, "%s/.cache/flowsim", e);
        return buf;
    }
    return NULL;
}

/* The truth cache is keyed by the traces' SHA-256. To know it before
 * reading, DIR/traces.tsv remembers, per file, (real path, size, mtime, inode)
 * -> sha256 from earlier runs, as make trusts modification times. The reader
 * recomputes the hash during the pass, and a mismatch is reported. */
static int index_lookup(const char *dir, const char *path, char sha[65])
{
    char idx[4200], rp[PATH_MAX];
    struct stat st;
    if (!realpath(path, rp) || stat(rp, &st))
        return -1;
    snprintf(idx, sizeof idx, "%s/traces.tsv", dir);
    FILE *f = fopen(idx, "r");
    if (!f)
        return -1;
    char line[PATH_MAX + 200];
    int found = -1;
    while (fgets(line, sizeof line, f)) {
        char p[PATH_MAX], h[65];
        unsigned long long size, ino;
        long long mt;
        if (sscanf(line, "%4095[^\t]\t%llu\t%lld\t%llu\t%64s", p, &size, &mt, &ino, h) != 5)
            continue;
        if (!strcmp(p, rp) && size == (unsigned long long)st.st_size &&
            mt == (long long)st.st_mtim.tv_sec * FS_NS_PER_S + st.st_mtim.tv_nsec &&
            ino == (unsigned long long)st.st_ino) {
            memcpy(sha, h, 65);
            found = 0;
        }
    }
    fclose(f);
    return found;
}

static void index_remember(const char *dir, const char *path, const char *sha)
{
    char idx[4200], rp[PATH_MAX], tmp[4300];
    struct stat st;
    char have[65];
    if (!realpath(path, rp) || stat(rp, &st) || index_lookup(dir, path, have) == 0)
        return;
    snprintf(idx, sizeof idx, "%s/traces.tsv", dir);
    snprintf(tmp, sizeof tmp, "%s/traces.tsv.%d", dir, (int)getpid());
    FILE *in = fopen(idx, "r"), *out = fopen(tmp, "w");
    if (!out) {
        if (in)
            fclose(in);
        return;
    }
    char line[PATH_MAX + 200];
    while (in && fgets(line, sizeof line, in)) {
        /* drop stale lines of the same path */
        size_t l = strlen(rp);
        if (!strncmp(line, rp, l) && line[l] == '\t')
            continue;
        fputs(line, out);
    }
    if (in)
        fclose(in);
    fprintf(out, "%s\t%llu\t%lld\t%llu\t%s\n", rp, (unsigned long long)st.st_size,
            (long long)st.st_mtim.tv_sec * FS_NS_PER_S + st.st_mtim.tv_nsec,
            (unsigned long long)st.st_ino, sha);
    if (fclose(out) == 0)
        rename(tmp, idx);
    else
        remove(tmp);
}

static void combined_hash(char *const shas[], int n, char out[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    for (int i = 0; i < n; i++) {
        EVP_DigestUpdate(c, shas[i], strlen(shas[i]));
        EVP_DigestUpdate(c, "\n", 1);
    }
    EVP_DigestFinal_ex(c, md, &mdlen);
    EVP_MD_CTX_free(c);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static int setup_truth_cache(runctx *rc, const char *const *traces, int ntraces)
{
    char buf[4096];
    const char *dir = cache_dir(rc->cfg, buf, sizeof buf);
    if (!dir || mkdir_p(dir))
        return 0;
    char **shas = calloc((size_t)ntraces, sizeof *shas);
    if (!shas)
        return 0;
    int all = 1;
    for (int i = 0; i < ntraces && all; i++) {
        shas[i] = malloc(65);
        if (!shas[i] || index_lookup(dir, traces[i], shas[i]))
            all = 0;
    }
    char comb[65] = "";
    if (all)
        combined_hash(shas, ntraces, comb);
    for (int i = 0; i < ntraces; i++)
        free(shas[i]);
    free(shas);
    if (!all)
        return 0; /* first run over these files: the cache is written next time */
    for (int kc = 0; kc < KC__COUNT; kc++) {
        if (!rc->truth_used[kc])
            continue;
        char path[4400], bl[32];
        fs_format_duration(rc->binning.len, bl, sizeof bl);
        snprintf(path, sizeof path, "%s/truth-%.32s-k%d-b%s.bin", dir, comb, kc, bl);
        int r = fs_truth_cache_open(&rc->truth[kc], path, rc->err, sizeof rc->err);
        if (r < 0)
            return -1;
        rc->truth_cached[kc] = r == 1;
    }
    return 0;
}

static void remember_traces(runctx *rc)
{
    char buf[4096];
    const char *dir = cache_dir(rc->cfg, buf, sizeof buf);
    if (!dir || mkdir_p(dir))
        return;
    for (int i = 0; i < fs_reader_nfiles(rc->reader); i++) {
        const fs_file_info *fi = fs_reader_file(rc->reader, i);
        if (fi->sha256_done)
            index_remember(dir, fi->path, fi->sha256);
    }
}

static int obs_init(runctx *rc, prun *u, char *err, size_t errlen)
{
    const fs_common *c = &u->spec->common;
    if (fs_sampler_init(&u->samp, c->psamp, c->psamp_rate, c->psamp_n, u->rng, err, errlen)) {
        char tmp[600];
        snprintf(tmp, sizeof tmp, "-m '%s': %s", u->spec->spec, err);
        snprintf(err, errlen, "%s", tmp);
        return -1;
    }
    if (c->filter && *c->filter) {
        int n = fs_reader_nfiles(rc->reader);
        u->bpf = calloc((size_t)n, sizeof *u->bpf);
        if (!u->bpf)
            return -1;
        for (int i = 0; i < n; i++) {
            int dlt = fs_reader_file(rc->reader, i)->linktype;
            int have = 0;
            for (int j = 0; j < u->nbpf; j++)
                have |= u->bpf[j].dlt == dlt;
            if (have)
                continue;
            pcap_t *p = pcap_open_dead(dlt, 262144);
            if (!p || pcap_compile(p, &u->bpf[u->nbpf].prog, c->filter, 1,
                                   PCAP_NETMASK_UNKNOWN)) {
                snprintf(err, errlen, "-m '%s': filter '%s': %s", u->spec->spec, c->filter,
                         p ? pcap_geterr(p) : "cannot compile");
                if (p)
                    pcap_close(p);
                return -1;
            }
            u->bpf[u->nbpf++].dlt = dlt;
            pcap_close(p);
        }
    }
    return 0;
}

static int bpf_match(const prun *u, const fs_pkt *p)
{
    for (int j = 0; j < u->nbpf; j++)
        if (u->bpf[j].dlt == p->linktype) {
            struct pcap_pkthdr h;
            memset(&h, 0, sizeof h);
            h.caplen = p->caplen;
            h.len = p->wire_len;
            return pcap_offline_filter(&u->bpf[j].prog, &h, p->data) != 0;
        }
    return 0;
}

static FILE *open_out(const char *dir, const char *name, char *err, size_t errlen)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
    return f;
}

static int setup_runs(runctx *rc)
{
    const fs_run_cfg *cfg = rc->cfg;
    rc->nruns = (size_t)rc->nspecs * cfg->seeds;
    rc->runs = calloc(rc->nruns, sizeof *rc->runs);
    if (!rc->runs) {
        snprintf(rc->err, sizeof rc->err, "out of memory");
        return -1;
    }
    for (int i = 0; i < rc->nspecs; i++)
        rc->truth_used[keycfg_of(&rc->specs[i].common)] = 1;
    for (int kc = 0; kc < KC__COUNT; kc++)
        if (rc->truth_used[kc])
            /* seed 0: truth tables are fed fs_pkt.key_hash, computed with seed 0 */
            fs_truth_init(&rc->truth[kc], kc, &rc->binning, 0);
    char recdir[4400];
    snprintf(recdir, sizeof recdir, "%s/records", cfg->out);
    if (cfg->records && mkdir_p(recdir)) {
        snprintf(rc->err, sizeof rc->err, "%s: cannot create: %s", recdir, strerror(errno));
        return -1;
    }
    size_t r = 0;
    for (int i = 0; i < rc->nspecs; i++) {
        /* Identity of the pipeline for its seeds: algorithm, every parameter,
         * and the occurrence number among identical pipelines of the run. */
        int occ = 0;
        for (int j = 0; j < i; j++)
            occ += !strcmp(rc->specs[j].params_all, rc->specs[i].params_all) &&
                   rc->specs[j].algo == rc->specs[i].algo;
        char ident[8192];
        snprintf(ident, sizeof ident, "%s:%s#%d", rc->specs[i].algo->name,
                 rc->specs[i].params_all, occ);
        for (uint64_t k = 0; k < cfg->seeds; k++, r++) {
            prun *u = &rc->runs[r];
            u->spec = &rc->specs[i];
            u->pipeline = i;
            u->rep = (int)k;
            u->seed = derive_seed(cfg->seed, ident, k);
            u->kc = keycfg_of(&u->spec->common);
            u->next_ev = FS_NS_INF;
            u->rng = gsl_rng_alloc(gsl_rng_mt19937);
            u->rows = tmpfile();
            u->state = calloc(1, u->spec->algo->state_size);
            if (!u->rng || !u->rows || !u->state) {
                snprintf(rc->err, sizeof rc->err, "out of memory or no temporary file");
                return -1;
            }
            gsl_rng_set(u->rng, (unsigned long)u->seed);
            if (obs_init(rc, u, rc->err, sizeof rc->err))
                return -1;
            fs_acct_init(&u->acct, on_second, u);
            fs_export_cfg ec = {u->spec->common.export_fmt, u->spec->common.mtu,
                                u->spec->common.export_delay, u->spec->common.template_refresh,
                                u->spec->common.export_l3};
            fs_exporter_init(&u->exp, &ec, &u->acct);
            char prefix[8192];
            snprintf(prefix, sizeof prefix, "p%d,%s,%s,%d,%llu", i, u->spec->algo->name,
                     u->spec->params_csv, u->rep, (unsigned long long)u->seed);
            fs_eval_cfg evc = {rc->binning, cfg->topk, cfg->prefix4, cfg->prefix6,
                               cfg->bin_rows, 0};
            if (fs_eval_init(&u->ev, &evc, &rc->truth[u->kc], u->seed, u->rows, prefix)) {
                snprintf(rc->err, sizeof rc->err, "out of memory");
                return -1;
            }
            if (cfg->records == 2 || (cfg->records == 1 && k == 0)) {
                char name[64];
                snprintf(name, sizeof name, "records/p%d_r%d.csv", i, (int)k);
                if (!(u->records = open_out(cfg->out, name, rc->err, sizeof rc->err)))
                    return -1;
                fprintf(u->records, "exported,first,last,src,dst,proto,sport,dport,tos,vlan,"
                                    "packets,bytes,syn_packets,tcp_flags,reason,q_pkt,p_slice,"
                                    "p_end,weight,bin_id\n");
            }
            if (cfg->timeseries == 2 || (cfg->timeseries == 1 && k == 0))
                if (!(u->ts = tmpfile())) {
                    snprintf(rc->err, sizeof rc->err, "no temporary file");
                    return -1;
                }
            /* Record stages, last to first, each passing on to the next;
             * the last passes on to the exporter and the evaluation. */
            fs_emit_fn next = on_record;
            void *next_ctx = u;
            u->nstages = u->spec->nstages;
            for (int j = u->nstages - 1; j >= 0; j--) {
                stage_run *sr = &u->stages[j];
                sr->stage = u->spec->stages[j].stage;
                sr->state = calloc(1, sr->stage->state_size ? sr->stage->state_size : 1);
                if (!sr->state) {
                    snprintf(rc->err, sizeof rc->err, "out of memory");
                    return -1;
                }
                fs_stage_env senv = {u->rng, next, next_ctx, stage_estimate, u};
                char serr[512];
                if (sr->stage->init(sr->state, u->spec->stages[j].params, &senv, serr,
                                    sizeof serr)) {
                    free(sr->state);
                    sr->state = NULL;
                    snprintf(rc->err, sizeof rc->err, "-m '%s': %s: %s", u->spec->spec,
                             sr->stage->name, serr);
                    return -1;
                }
                next = to_stage;
                next_ctx = sr;
            }
            fs_meter_env env = {u->rng, u->samp.mode == FS_SAMP_NONE ? 1.0 : u->samp.rate,
                                &u->acct, next, next_ctx, 0};
            char aerr[512];
            if (u->spec->algo->init(u->state, u->spec->aparams, &env, aerr, sizeof aerr)) {
                snprintf(rc->err, sizeof rc->err, "-m '%s': %s", u->spec->spec, aerr);
                return -1;
            }
        }
    }
    return 0;
}

/* Observation stage and meter for one packet of one pipeline-replicate. */
static void run_packet(prun *u, const fs_pkt *in, const fs_pkt *keyed)
{
    const fs_common *c = &u->spec->common;
    const fs_algo *a = u->spec->algo;
    fs_ns ts = in->ts;
    if (c->ts_res > 0)
        ts -= ((ts % c->ts_res) + c->ts_res) % c->ts_res;
    if (c->ts_jitter > 0)
        ts += (fs_ns)(gsl_rng_uniform(u->rng) * (double)c->ts_jitter);
    if (u->started && ts < u->obs_last) {
        ts = u->obs_last;
        u->obs_clamped++;
    }
    u->started = 1;
    u->obs_last = ts;
    u->now = ts;
    u->obs_in++;
    fs_exporter_advance(&u->exp, ts);
    if (ts >= u->next_ev)
        u->next_ev = a->advance(u->state, ts);
    if (u->nbpf && !bpf_match(u, in)) {
        u->obs_filtered++;
        return;
    }
    if (!fs_sampler_take(&u->samp, in)) {
        u->obs_unselected++;
        return;
    }
    fs_pkt p = *keyed;
    p.ts = ts;
    if (c->snaplen && p.caplen > c->snaplen) {
        if (p.l3_end > c->snaplen) {
            u->obs_trunc_ip++;
            return;
        }
        p.caplen = (uint32_t)c->snaplen;
        if (p.ports_end > c->snaplen) {
            u->obs_trunc_l4++;
            p.key.sport = p.key.dport = 0;
            p.tcp_flags = 0;
            fs_key raw = in->key;
            raw.sport = raw.dport = 0;
            make_key(&raw, u->kc, &p.key);
            p.key_hash = fs_key_hash(&p.key, 0);
        } else if (p.flags_end > c->snaplen) {
            p.tcp_flags = 0;
        }
    }
    u->next_ev = a->packet(u->state, &p);
}

static fs_ns run_safe_time(const prun *u, fs_ns global_now)
{
    fs_ns s = u->spec->algo->pending(u->state);
    if (u->now < s)
        s = u->now;
    return global_now < s ? global_now : s;
}

static void progress(runctx *rc, int force)
{
    static struct timespec last;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double dt = (double)(now.tv_sec - last.tv_sec) + (double)(now.tv_nsec - last.tv_nsec) / 1e9;
    if (!force && dt < 0.5)
        return;
    last = now;
    double span = rc->have_ts ? (double)(rc->last_ts - rc->first_ts) / 1e9 : 0;
    fprintf(stderr, "\rflowsim: %llu packets, %.1f s of trace, %zu pipeline-replicates%s",
            (unsigned long long)rc->packets, span, rc->nruns, force ? "\n" : "");
    fflush(stderr);
}

static void on_bin_crossing(runctx *rc, fs_ns now)
{
    for (int kc = 0; kc < KC__COUNT; kc++) {
        if (!rc->truth_used[kc])
            continue;
        if (rc->truth_cached[kc]) {
            if (fs_truth_cache_read_until(&rc->truth[kc], now, rc->err, sizeof rc->err) &&
                !rc->status)
                rc->status = 2;
        } else {
            fs_truth_advance(&rc->truth[kc], now);
        }
    }
    for (size_t r = 0; r < rc->nruns; r++)
        fs_eval_finalize_upto(&rc->runs[r].ev, run_safe_time(&rc->runs[r], now));
}

static int main_loop(runctx *rc)
{
    fs_pkt pkt, keyed[KC__COUNT];
    int show = rc->cfg->progress == 1 || (rc->cfg->progress == 2 && isatty(2));
    int64_t cur_bin = INT64_MIN;
    int rdr;
    while ((rdr = fs_reader_next(rc->reader, &pkt, rc->err, sizeof rc->err)) == 1) {
        if (!rc->have_ts) {
            rc->first_ts = pkt.ts;
            rc->have_ts = 1;
            for (size_t r = 0; r < rc->nruns; r++)
                rc->runs[r].ts_origin_s = pkt.ts / FS_NS_PER_S;
        }
        rc->last_ts = pkt.ts;
        rc->packets++;
        int64_t b = fs_bin_of(&rc->binning, pkt.ts);
        if (b != cur_bin) {
            if (cur_bin != INT64_MIN)
                on_bin_crossing(rc, pkt.ts);
            cur_bin = b;
        }
        for (int kc = 0; kc < KC__COUNT; kc++) {
            if (!rc->truth_used[kc])
                continue;
            keyed[kc] = pkt;
            make_key(&pkt.key, kc, &keyed[kc].key);
            keyed[kc].key_hash = fs_key_hash(&keyed[kc].key, 0);
            if (!rc->truth_cached[kc])
                fs_truth_packet(&rc->truth[kc], &keyed[kc]);
        }
        for (size_t r = 0; r < rc->nruns; r++)
            run_packet(&rc->runs[r], &pkt, &keyed[rc->runs[r].kc]);
        if (show && (rc->packets & 0xFFFF) == 0)
            progress(rc, 0);
    }
    if (show)
        progress(rc, 1);
    return rdr;
}

static void finish_runs(runctx *rc, int read_ok)
{
    fs_ns end = rc->last_ts;
    for (size_t r = 0; r < rc->nruns; r++) {
        prun *u = &rc->runs[r];
        fs_ns t = u->started ? u->obs_last : end;
        u->spec->algo->flush(u->state, t);
        for (int j = 0; j < u->nstages; j++)
            if (u->stages[j].stage->flush)
                u->stages[j].stage->flush(u->stages[j].state, t);
        fs_exporter_finish(&u->exp, t);
        fs_acct_finish(&u->acct, t);
    }
    for (int kc = 0; kc < KC__COUNT; kc++) {
        if (!rc->truth_used[kc])
            continue;
        if (rc->truth_cached[kc]) {
            /* After a read error only the bins before the failure are used. */
            fs_ns upto = read_ok ? FS_NS_INF : end;
            if (fs_truth_cache_read_until(&rc->truth[kc], upto, rc->err, sizeof rc->err) &&
                !rc->status)
                rc->status = 2;
        } else if (read_ok) {
            fs_truth_finish(&rc->truth[kc]);
        } else {
            fs_truth_cache_abort(&rc->truth[kc]);
            fs_truth_advance(&rc->truth[kc], FS_NS_INF - 1);
        }
    }
    for (size_t r = 0; r < rc->nruns; r++) {
        prun *u = &rc->runs[r];
        if (read_ok)
            fs_eval_finish(&u->ev, FS_NS_INF);
        else
            fs_eval_finish(&u->ev, fs_bin_start(&rc->binning, fs_bin_of(&rc->binning, end)));
    }
}

static void stats_row(void *ctx, const char *name, double v)
{
    fs_eval_row(ctx, "all", "total", "all", name, v);
}

static void resource_rows(prun *u)
{
    fs_eval *ev = &u->ev;
    double eb = (double)u->spec->common.entry_bytes;
    double mean = fs_acct_mean_entries(&u->acct);
    double span = (double)(u->acct.t_last - u->acct.t_start) / 1e9;
    fs_eval_row(ev, "all", "total", "all", "mem_peak_entries", (double)u->acct.peak);
    fs_eval_row(ev, "all", "total", "all", "mem_mean_entries", mean);
    fs_eval_row(ev, "all", "total", "all", "mem_peak_bytes", (double)u->acct.peak * eb);
    fs_eval_row(ev, "all", "total", "all", "mem_mean_bytes", mean * eb);
    fs_eval_row(ev, "all", "total", "all", "export_records", (double)u->acct.exp_records);
    fs_eval_row(ev, "all", "total", "all", "export_datagrams", (double)u->acct.exp_datagrams);
    fs_eval_row(ev, "all", "total", "all", "export_bytes", (double)u->acct.exp_bytes);
    for (int f = 0; f < FS_EXP__COUNT; f++) {
        char m[64];
        snprintf(m, sizeof m, "export_bytes_%s", fs_exp_fmt_names[f]);
        fs_eval_row(ev, "all", "total", "all", m, (double)u->exp.lane[f].bytes);
        snprintf(m, sizeof m, "export_datagrams_%s", fs_exp_fmt_names[f]);
        fs_eval_row(ev, "all", "total", "all", m, (double)u->exp.lane[f].datagrams);
    }
    fs_eval_row(ev, "all", "total", "all", "export_v5_ipv6_records",
                (double)u->exp.v5_ipv6_records);
    fs_eval_row(ev, "all", "total", "all", "export_mean_bytes_per_s",
                span > 0 ? (double)u->acct.exp_bytes / span : NAN);
    fs_eval_row(ev, "all", "total", "all", "export_peak_bytes_per_s",
                (double)u->acct.peak_sec_bytes);
    fs_eval_row(ev, "all", "total", "all", "export_peak_records_per_s",
                (double)u->acct.peak_sec_records);
    for (int k = 0; k < FS_REASON__COUNT; k++)
        fs_eval_row(ev, "all", "reason", fs_reason_name[k], "export_records",
                    (double)u->reasons[k]);
    fs_eval_row(ev, "all", "total", "all", "obs_packets", (double)u->obs_in);
    fs_eval_row(ev, "all", "total", "all", "obs_filtered", (double)u->obs_filtered);
    fs_eval_row(ev, "all", "total", "all", "obs_unselected", (double)u->obs_unselected);
    fs_eval_row(ev, "all", "total", "all", "obs_truncated_ip", (double)u->obs_trunc_ip);
    fs_eval_row(ev, "all", "total", "all", "obs_truncated_l4", (double)u->obs_trunc_l4);
    fs_eval_row(ev, "all", "total", "all", "obs_ts_clamped", (double)u->obs_clamped);
    fs_eval_row(ev, "all", "total", "all", "late_contributions", (double)u->ev.late);
    fs_eval_row(ev, "all", "total", "all", "bins", (double)u->ev.nbins);
    if (u->spec->algo->stats)
        u->spec->algo->stats(u->state, stats_row, ev);
    for (int j = 0; j < u->nstages; j++)
        if (u->stages[j].stage->stats && u->stages[j].state)
            u->stages[j].stage->stats(u->stages[j].state, stats_row, ev);
}

/* Concatenates a temporary file into out. */
static int append_file(FILE *out, FILE *in)
{
    char buf[65536];
    size_t n;
    rewind(in);
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n)
            return -1;
    return ferror(in) ? -1 : 0;
}

static int write_csvs(runctx *rc)
{
    const char *dir = rc->cfg->out;
    char path[4400], tmp[4400];
    snprintf(path, sizeof path, "%s/results.csv", dir);
    snprintf(tmp, sizeof tmp, "%s/results.csv.tmp", dir);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        snprintf(rc->err, sizeof rc->err, "%s: cannot write: %s", tmp, strerror(errno));
        return -1;
    }
    fprintf(f, "pipeline,algorithm,params,replicate,seed,bin,aggregate,key,metric,value\n");
    int bad = 0;
    for (size_t r = 0; r < rc->nruns; r++)
        bad |= append_file(f, rc->runs[r].rows);
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path)) {
        snprintf(rc->err, sizeof rc->err, "%s: write failed: %s", path, strerror(errno));
        return -1;
    }
    if (rc->cfg->timeseries) {
        snprintf(path, sizeof path, "%s/timeseries.csv", dir);
        f = fopen(path, "w");
        if (!f) {
            snprintf(rc->err, sizeof rc->err, "%s: cannot write: %s", path, strerror(errno));
            return -1;
        }
        fprintf(f, "pipeline,replicate,second,entries_mean,entries_max,export_records,"
                   "export_datagrams,export_bytes\n");
        for (size_t r = 0; r < rc->nruns; r++)
            if (rc->runs[r].ts)
                bad |= append_file(f, rc->runs[r].ts);
        bad |= fclose(f) != 0;
        if (bad) {
            snprintf(rc->err, sizeof rc->err, "%s: write failed", path);
            return -1;
        }
    }
    return 0;
}

static json_object *params_json(const fs_param_def *defs, size_t n, const void *vals)
{
    json_object *o = json_object_new_object();
    char v[512];
    for (size_t i = 0; i < n; i++) {
        fs_param_format(&defs[i], vals, v, sizeof v);
        json_object *p = json_object_new_object();
        json_object_object_add(p, "value", json_object_new_string(v));
        json_object_object_add(p, "unit", json_object_new_string(defs[i].unit));
        json_object_object_add(p, "default", json_object_new_string(defs[i].def));
        json_object_object_add(o, defs[i].name, p);
    }
    return o;
}

static int write_manifest(runctx *rc, int argc, char **argv)
{
    json_object *m = json_object_new_object();
    json_object_object_add(m, "tool", json_object_new_string("flowsim"));
    json_object_object_add(m, "version", json_object_new_string(FS_VERSION));
    json_object_object_add(m, "git_commit", json_object_new_string(FS_GIT_COMMIT));
    json_object *cl = json_object_new_array();
    for (int i = 0; i < argc; i++)
        json_object_array_add(cl, json_object_new_string(argv[i]));
    json_object_object_add(m, "command_line", cl);
    json_object_object_add(m, "status",
                           json_object_new_string(rc->status ? rc->err : "complete"));
    json_object *tr = json_object_new_array();
    for (int i = 0; i < fs_reader_nfiles(rc->reader); i++) {
        const fs_file_info *fi = fs_reader_file(rc->reader, i);
        json_object *t = json_object_new_object();
        json_object_object_add(t, "path", json_object_new_string(fi->path));
        json_object_object_add(t, "size_bytes", json_object_new_int64((int64_t)fi->size_bytes));
        json_object_object_add(t, "sha256",
                               fi->sha256_done ? json_object_new_string(fi->sha256) : NULL);
        json_object_object_add(t, "format", json_object_new_string(fi->is_pcapng ? "pcapng" : "pcap"));
        json_object_object_add(t, "link_type", json_object_new_string(fi->linktype_name));
        json_object_object_add(t, "frames", json_object_new_int64((int64_t)fi->frames));
        json_object *d = json_object_new_object();
        for (int s = 0; s < FS_DEC__COUNT; s++)
            json_object_object_add(d, fs_decode_status_name[s],
                                   json_object_new_int64((int64_t)fi->status[s]));
        json_object_object_add(t, "decode", d);
        json_object_array_add(tr, t);
    }
    json_object_object_add(m, "traces", tr);
    json_object_object_add(m, "packets", json_object_new_int64((int64_t)rc->packets));
    json_object_object_add(m, "first_ts_ns", json_object_new_int64(rc->first_ts));
    json_object_object_add(m, "last_ts_ns", json_object_new_int64(rc->last_ts));
    json_object_object_add(m, "bin_origin_index",
                           json_object_new_int64(rc->binning.len == FS_NS_INF ? 0 :
                                                 fs_bin_of(&rc->binning, rc->first_ts)));
    json_object_object_add(m, "timeseries_origin_s",
                           json_object_new_int64(rc->first_ts / FS_NS_PER_S));
    json_object_object_add(m, "run", params_json(fs_run_params_def, fs_run_nparams, rc->cfg));
    json_object *tc = json_object_new_object();
    for (int kc = 0; kc < KC__COUNT; kc++)
        if (rc->truth_used[kc]) {
            char k[16];
            snprintf(k, sizeof k, "k%d", kc);
            json_object_object_add(tc, k, json_object_new_string(
                                              rc->truth_cached[kc] ? "read from cache" :
                                              rc->truth[kc].cache_path ? "computed, cached" :
                                              "computed"));
        }
    json_object_object_add(m, "ground_truth", tc);
    json_object *pl = json_object_new_array();
    for (int i = 0; i < rc->nspecs; i++) {
        const fs_pipeline_spec *s = &rc->specs[i];
        json_object *p = json_object_new_object();
        char id[16];
        snprintf(id, sizeof id, "p%d", i);
        json_object_object_add(p, "pipeline", json_object_new_string(id));
        json_object_object_add(p, "spec", json_object_new_string(s->spec));
        json_object_object_add(p, "algorithm", json_object_new_string(s->algo->name));
        json_object_object_add(p, "params", params_json(s->algo->params, s->algo->nparams,
                                                        s->aparams));
        json_object_object_add(p, "common", params_json(fs_common_params_def,
                                                        fs_common_nparams, &s->common));
        json_object *sts = json_object_new_array();
        for (int j = 0; j < s->nstages; j++) {
            json_object *so = json_object_new_object();
            json_object_object_add(so, "stage", json_object_new_string(s->stages[j].stage->name));
            json_object_object_add(so, "params", params_json(s->stages[j].stage->params,
                                                             s->stages[j].stage->nparams,
                                                             s->stages[j].params));
            json_object_array_add(sts, so);
        }
        json_object_object_add(p, "record_stages", sts);
        json_object *seeds = json_object_new_array();
        for (size_t r = 0; r < rc->nruns; r++)
            if (rc->runs[r].pipeline == i) {
                char sb[32];
                snprintf(sb, sizeof sb, "%llu", (unsigned long long)rc->runs[r].seed);
                json_object_array_add(seeds, json_object_new_string(sb));
            }
        json_object_object_add(p, "seeds", seeds);
        json_object_array_add(pl, p);
    }
    json_object_object_add(m, "pipelines", pl);
    char path[4400];
    snprintf(path, sizeof path, "%s/manifest.json", rc->cfg->out);
    int r = json_object_to_file_ext(path, m, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED);
    json_object_put(m);
    if (r) {
        snprintf(rc->err, sizeof rc->err, "%s: cannot write", path);
        return -1;
    }
    return 0;
}

/* mean and sample standard deviation over replicates */
static void mean_sd(const double *x, size_t n, double *mean, double *sd)
{
    double s = 0, ss = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    *mean = n ? s / (double)n : NAN;
    for (size_t i = 0; i < n; i++)
        ss += (x[i] - *mean) * (x[i] - *mean);
    *sd = n > 1 ? sqrt(ss / (double)(n - 1)) : 0;
}

static void summary(runctx *rc)
{
    printf("%-4s %-36s %5s %18s %18s %18s %10s %12s\n", "id", "pipeline", "reps",
           "bytes err %", "packets err %", "flows err %", "mem peak", "export B");
    size_t nrep = rc->cfg->seeds;
    double *x = calloc(nrep * 5, sizeof *x);
    if (!x)
        return;
    for (int i = 0; i < rc->nspecs; i++) {
        size_t k = 0;
        for (size_t r = 0; r < rc->nruns; r++) {
            prun *u = &rc->runs[r];
            if (u->pipeline != i)
                continue;
            const fs_acc *a = &u->ev.all_total;
            x[k] = a->t_by ? 100 * (a->e_by - a->t_by) / a->t_by : NAN;
            x[nrep + k] = a->t_pk ? 100 * (a->e_pk - a->t_pk) / a->t_pk : NAN;
            x[2 * nrep + k] = a->t_fl ? 100 * (a->e_fl - a->t_fl) / a->t_fl : NAN;
            x[3 * nrep + k] = (double)u->acct.peak;
            x[4 * nrep + k] = (double)u->acct.exp_bytes;
            k++;
        }
        double m[5], s[5];
        for (int j = 0; j < 5; j++)
            mean_sd(x + (size_t)j * nrep, k, &m[j], &s[j]);
        char lab[37];
        snprintf(lab, sizeof lab, "%s", rc->specs[i].label);
        char e[3][40];
        for (int j = 0; j < 3; j++)
            snprintf(e[j], sizeof e[j], "%+.3f ± %.3f", m[j], s[j]);
        printf("p%-3d %-36s %5zu %18s %18s %18s %10.0f %12.0f\n", i, lab, k, e[0], e[1], e[2],
               m[3], m[4]);
    }
    free(x);
}

static void free_runs(runctx *rc)
{
    for (size_t r = 0; r < rc->nruns; r++) {
        prun *u = &rc->runs[r];
        if (u->state && u->spec->algo->destroy && u->spec)
            u->spec->algo->destroy(u->state);
        free(u->state);
        for (int j = 0; j < u->nstages; j++) {
            if (u->stages[j].state && u->stages[j].stage->destroy)
                u->stages[j].stage->destroy(u->stages[j].state);
            free(u->stages[j].state);
        }
        fs_eval_free(&u->ev);
        fs_sampler_free(&u->samp);
        for (int j = 0; j < u->nbpf; j++)
            pcap_freecode(&u->bpf[j].prog);
        free(u->bpf);
        if (u->rng)
            gsl_rng_free(u->rng);
        if (u->rows)
            fclose(u->rows);
        if (u->records)
            fclose(u->records);
        if (u->ts)
            fclose(u->ts);
    }
    free(rc->runs);
    for (int kc = 0; kc < KC__COUNT; kc++)
        if (rc->truth_used[kc])
            fs_truth_free(&rc->truth[kc]);
}

int fs_run(const fs_run_cfg *cfg, const char *const *traces, int ntraces,
           fs_pipeline_spec *specs, int nspecs, int argc, char **argv)
{
    runctx *rc = calloc(1, sizeof *rc);
    if (!rc) {
        fprintf(stderr, "flowsim: out of memory\n");
        return 2;
    }
    rc->cfg = cfg;
    rc->specs = specs;
    rc->nspecs = nspecs;
    rc->binning.len = cfg->bin;
    int status = 0;
    if (fs_reader_open(&rc->reader, traces, ntraces, rc->err, sizeof rc->err)) {
        fprintf(stderr, "flowsim: %s\n", rc->err);
        free(rc);
        return 2;
    }
    if (mkdir_p(cfg->out)) {
        fprintf(stderr, "flowsim: %s: cannot create output directory: %s\n", cfg->out,
                strerror(errno));
        fs_reader_close(rc->reader);
        free(rc);
        return 2;
    }
    if (setup_runs(rc) || setup_truth_cache(rc, traces, ntraces)) {
        fprintf(stderr, "flowsim: %s\n", rc->err);
        free_runs(rc);
        fs_reader_close(rc->reader);
        free(rc);
        return 1;
    }
    int rdr = main_loop(rc);
    if (rdr < 0)
        rc->status = 2;
    char readerr[1024];
    snprintf(readerr, sizeof readerr, "%s", rc->err);
    finish_runs(rc, rdr == 0);
    if (rdr < 0)
        snprintf(rc->err, sizeof rc->err, "%s", readerr);
    for (size_t r = 0; r < rc->nruns; r++)
        resource_rows(&rc->runs[r]);
    if (rdr == 0)
        remember_traces(rc);
    char werr[1024] = "";
    if (write_csvs(rc) || write_manifest(rc, argc, argv)) {
        snprintf(werr, sizeof werr, "%s", rc->err);
        if (!rc->status)
            rc->status = 2;
    }
    if (!cfg->quiet && !werr[0])
        summary(rc);
    if (rc->status) {
        fprintf(stderr, "flowsim: %s\n", werr[0] ? werr : rc->err);
        if (rdr < 0)
            fprintf(stderr, "flowsim: results up to the error were written to %s\n", cfg->out);
    }
    status = rc->status;
    free_runs(rc);
    fs_reader_close(rc->reader);
    free(rc);
    return status;
}
