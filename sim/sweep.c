/* flowsim — parameter sweeps (see sweep.h and docs/sweep.md).
 *
 * The sweep file is INI, parsed by inih (libinih); this file only gives
 * meaning to its sections and keys and expands the value expressions (lists
 * and ranges) into grid points. A point is one pipeline over one trace; its
 * identity (and the name of its result file) is a hash of the trace (path,
 * size, modification time and content sample: fs_dcache_id_of's hash of the
 * size and first and last MiB, so a trace rewritten in place with its size
 * and time kept is a new trace), the pipeline's full canonical parameter set and
 * the run options that change results, so a rerun finds every finished
 * point, whatever shards computed it.
 *
 * Output directory (default results/<name>):
 *   sweep.ini, points.csv          the sweep file and its grid
 *   points/<id>.csv                one finished point (internal format)
 *   manifests/<shard>.json         the manifest of every pass (fs_run's)
 *   results.csv, timeseries.csv,   merged when every point is finished
 *   summary.csv, manifest.json
 *   work/<host>-<pid>/             a pass in progress
 *   slurm/<tag>/                   job scripts, plans and task logs
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include "sweep.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <ini.h>
#include <limits.h>
#include <math.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <gsl/gsl_cdf.h>
#include <json-c/json.h>
#include <openssl/evp.h>
#include <xxhash.h>

#include "algo.h"
#include "dcache.h"
#include "engine.h"
#include "fdlimit.h"
#include "jsonutf8.h"
#include "rng.h"

#define SW_MAX_POINTS   1000000
#define SW_MAX_VALUES   10000     /* values of one parameter */
#define SW_PASS_BYTES   (64.0 * 1048576)   /* per pass: reader, truth, buffers */
#define SW_POINT_BYTES  (1.0 * 1048576)    /* per replicate, besides the table */
#define SW_INF_ENTRIES  262144.0           /* entries=inf (or none) counts as  */

/* ---- small helpers ----------------------------------------------------------------- */

static void *grow(void *p, size_t *cap, size_t need, size_t elsz)
{
    if (need <= *cap)
        return p;
    size_t c = *cap ? *cap : 8;
    while (c < need)
        c *= 2;
    void *np = realloc(p, c * elsz);
    if (np)
        *cap = c;
    return np;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
        s[--n] = 0;
    return s;
}

/* A CSV field never holds a comma or a quote (README: awk -F, reads it). */
static void csv_safe(char *s)
{
    for (; *s; s++)
        if (*s == ',' || *s == '\n' || *s == '\r')
            *s = ';';
        else if (*s == '"')
            *s = '\'';
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

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(p);
    return 0;
}

static void rm_rf(const char *path)
{
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void hex128(const void *data, size_t n, char out[33])
{
    XXH128_hash_t h = XXH3_128bits(data, n);
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)h.high64,
             (unsigned long long)h.low64);
}

/* Copies a file (to a temporary name, then renamed). */
static int copy_file(const char *from, const char *to)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", to, (int)getpid());
    FILE *in = fopen(from, "rb"), *out = in ? fopen(tmp, "wb") : NULL;
    int bad = !in || !out;
    char buf[65536];
    size_t n;
    while (!bad && (n = fread(buf, 1, sizeof buf, in)) > 0)
        bad |= fwrite(buf, 1, n, out) != n;
    if (in)
        bad |= ferror(in), fclose(in);
    if (out)
        bad |= fclose(out) != 0;
    if (bad || rename(tmp, to)) {
        remove(tmp);
        return -1;
    }
    return 0;
}

static int file_sha256(const char *path, char out[65])
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned char md[32], buf[65536];
    unsigned mdlen = 0;
    size_t n;
    int bad = !c || !EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    while (!bad && (n = fread(buf, 1, sizeof buf, f)) > 0)
        bad = !EVP_DigestUpdate(c, buf, n);
    bad |= ferror(f) || !c || !EVP_DigestFinal_ex(c, md, &mdlen);
    EVP_MD_CTX_free(c);
    fclose(f);
    for (unsigned i = 0; !bad && i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return bad ? -1 : 0;
}

/* ---- string -> int map (open addressing) -------------------------------------------- */

typedef struct smap {
    char  **keys;
    int    *vals;
    size_t  cap, n;
} smap;

static size_t smap_slot(const smap *m, const char *k)
{
    size_t i = (size_t)XXH3_64bits(k, strlen(k)) & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], k))
        i = (i + 1) & (m->cap - 1);
    return i;
}

static int smap_get(const smap *m, const char *k)
{
    if (!m->cap)
        return -1;
    size_t i = smap_slot(m, k);
    return m->keys[i] ? m->vals[i] : -1;
}

static int smap_put(smap *m, const char *k, int v)
{
    if (2 * (m->n + 1) > m->cap) {
        smap o = *m;
        m->cap = o.cap ? 2 * o.cap : 64;
        m->keys = calloc(m->cap, sizeof *m->keys);
        m->vals = calloc(m->cap, sizeof *m->vals);
        if (!m->keys || !m->vals) {
            free(m->keys);
            free(m->vals);
            *m = o;
            return -1;
        }
        for (size_t i = 0; i < o.cap; i++)
            if (o.keys[i]) {
                size_t j = smap_slot(m, o.keys[i]);
                m->keys[j] = o.keys[i];
                m->vals[j] = o.vals[i];
            }
        free(o.keys);
        free(o.vals);
    }
    size_t i = smap_slot(m, k);
    if (!m->keys[i]) {
        if (!(m->keys[i] = strdup(k)))
            return -1;
        m->n++;
    }
    m->vals[i] = v;
    return 0;
}

static void smap_free(smap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ---- the sweep ---------------------------------------------------------------------- */

typedef struct sw_kv {
    char *name, *value;
    int   line;
} sw_kv;

typedef struct sw_section {
    char  *name;
    int    line;          /* line of its header */
    sw_kv *kv;
    size_t nkv, cap;
} sw_section;

typedef struct sw_trace {
    char    *text;        /* as written in the sweep file              */
    char    *path;        /* opened: relative to the sweep file's dir  */
    char    *real;        /* realpath, for the progress bar            */
    uint64_t size;
    int64_t  mtime_ns;
    uint64_t sample;      /* content sample (fs_dcache_id_of)           */
} sw_trace;

typedef struct sw_point {
    int    section, trace;
    char  *spec;          /* given to fs_run                    */
    char  *label;         /* canonical spec                     */
    char  *algo;
    char  *params;        /* non-default parameters, a;b form   */
    char **cols;          /* value of each parameter column     */
    char   id[33];
    double mem;
} sw_point;

struct fs_sweep {
    char       *path, *dir, *name, *description;
    fs_run_cfg  cfg;
    int         cfg_init;
    sw_section *sec;
    size_t      nsec, capsec;
    sw_trace   *tr;
    size_t      ntr, captr;
    sw_point   *pt;
    size_t      npt, cappt;
    char      **colparam;   /* parameter of each column          */
    char      **colname;    /* header of each column             */
    size_t      ncol, capcol;
    char       *sbatch_options;
    uint64_t    max_running;
};

static const char *const reserved_cols[] = {
    "pipeline", "algorithm", "params", "replicate", "seed", "bin", "aggregate", "key",
    "metric", "value", "point", "section", "trace", "n", "mean", "sd", "ci95", "ci95_lo",
    "ci95_hi", "second", "entries_mean", "entries_max", "export_records", "export_datagrams",
    "export_bytes", "id", NULL};

void fs_sweep_free(fs_sweep *sw)
{
    if (!sw)
        return;
    for (size_t i = 0; i < sw->nsec; i++) {
        for (size_t j = 0; j < sw->sec[i].nkv; j++) {
            free(sw->sec[i].kv[j].name);
            free(sw->sec[i].kv[j].value);
        }
        free(sw->sec[i].kv);
        free(sw->sec[i].name);
    }
    free(sw->sec);
    for (size_t i = 0; i < sw->ntr; i++) {
        free(sw->tr[i].text);
        free(sw->tr[i].path);
        free(sw->tr[i].real);
    }
    free(sw->tr);
    for (size_t i = 0; i < sw->npt; i++) {
        sw_point *p = &sw->pt[i];
        free(p->spec);
        free(p->label);
        free(p->algo);
        free(p->params);
        if (p->cols)
            for (size_t c = 0; c < sw->ncol; c++)
                free(p->cols[c]);
        free(p->cols);
    }
    free(sw->pt);
    for (size_t c = 0; c < sw->ncol; c++) {
        free(sw->colparam[c]);
        free(sw->colname[c]);
    }
    free(sw->colparam);
    free(sw->colname);
    if (sw->cfg_init)
        fs_params_free(fs_run_params_def, fs_run_nparams, &sw->cfg);
    free(sw->path);
    free(sw->dir);
    free(sw->name);
    free(sw->description);
    free(sw->sbatch_options);
    free(sw);
}

int fs_sweep_npoints(const fs_sweep *sw) { return (int)sw->npt; }
const char *fs_sweep_point_label(const fs_sweep *sw, int i) { return sw->pt[i].label; }
const char *fs_sweep_point_trace(const fs_sweep *sw, int i) { return sw->tr[sw->pt[i].trace].text; }
const char *fs_sweep_point_section(const fs_sweep *sw, int i)
{
    return sw->sec[sw->pt[i].section].name;
}
const char *fs_sweep_point_id(const fs_sweep *sw, int i) { return sw->pt[i].id; }
double fs_sweep_point_mem(const fs_sweep *sw, int i) { return sw->pt[i].mem; }

const char *fs_sweep_point_col(const fs_sweep *sw, int i, const char *col)
{
    for (size_t c = 0; c < sw->ncol; c++)
        if (!strcmp(sw->colparam[c], col))
            return sw->pt[i].cols[c];
    return NULL;
}

/* ---- reading the INI file (inih) ------------------------------------------------------ */

typedef struct ini_ctx {
    fs_sweep *sw;
    FILE     *f;
    const char *path;
    int       cur, next;      /* line of the last chunk read; of the next one  */
    int       indented;       /* the current line starts with white space      */
    int       toolong;
    sw_kv    *last;           /* the pair the previous handler call filled     */
    char      err[1024];
} ini_ctx;

static sw_section *section_get(fs_sweep *sw, const char *name, int line)
{
    for (size_t i = 0; i < sw->nsec; i++)
        if (!strcmp(sw->sec[i].name, name))
            return &sw->sec[i];
    void *np = grow(sw->sec, &sw->capsec, sw->nsec + 1, sizeof *sw->sec);
    if (!np)
        return NULL;
    sw->sec = np;
    sw_section *s = &sw->sec[sw->nsec];
    memset(s, 0, sizeof *s);
    if (!(s->name = strdup(name)))
        return NULL;
    s->line = line;
    sw->nsec++;
    return s;
}

/* inih calls this once per line; it counts lines for the messages, notes
 * whether a line is indented (a continuation of the previous value) and
 * where each section starts. */
static char *sw_ini_read(char *str, int num, void *stream)
{
    ini_ctx *c = stream;
    if (c->toolong || c->err[0])
        return NULL;
    if (!fgets(str, num, c->f))
        return NULL;
    c->cur = c->next;
    size_t n = strlen(str);
    if (n && str[n - 1] == '\n')
        c->next++;
    else if (!feof(c->f)) {
        c->toolong = 1;
        snprintf(c->err, sizeof c->err, "%s:%d: line longer than %d characters (continue a "
                 "list on indented lines)", c->path, c->cur, num - 3);
        return NULL;
    }
    c->indented = str[0] == ' ' || str[0] == '\t';
    const char *s = str;
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '[') {
        const char *e = strchr(s, ']');
        if (e) {
            char name[256];
            snprintf(name, sizeof name, "%.*s", (int)(e - s - 1), s + 1);
            char *t = trim(name);
            if (*t && !section_get(c->sw, t, c->cur))
                snprintf(c->err, sizeof c->err, "out of memory");
        }
    }
    return str;
}

static int sw_ini_pair(void *user, const char *section, const char *name, const char *value)
{
    ini_ctx *c = user;
    if (c->err[0])
        return 1;
    if (!*section) {
        snprintf(c->err, sizeof c->err, "%s:%d: '%s' outside a section (start with [sweep])",
                 c->path, c->cur, name);
        return 0;
    }
    sw_section *s = section_get(c->sw, section, c->cur);
    if (!s) {
        snprintf(c->err, sizeof c->err, "out of memory");
        return 0;
    }
    if (c->indented && c->last && !strcmp(c->last->name, name) &&
        s->nkv && c->last == &s->kv[s->nkv - 1]) {
        /* continuation line of a multi-line value: one more list item. This
         * inih (Debian's r55) keeps inline comments on such lines: cut them
         * as on the first line (';' after white space). */
        char cont[1024];
        snprintf(cont, sizeof cont, "%s", value);
        for (char *q = cont + 1; *q; q++)
            if (*q == ';' && (q[-1] == ' ' || q[-1] == '\t')) {
                *q = 0;
                break;
            }
        value = trim(cont);
        size_t a = strlen(c->last->value), b = strlen(value);
        char *nv = realloc(c->last->value, a + b + 2);
        if (!nv) {
            snprintf(c->err, sizeof c->err, "out of memory");
            return 0;
        }
        int comma = a && nv[a - 1] != ',' && value[0] != ',';
        if (comma)
            nv[a++] = ',';
        memcpy(nv + a, value, b + 1);
        c->last->value = nv;
        return 1;
    }
    for (size_t i = 0; i < s->nkv; i++)
        if (!strcmp(s->kv[i].name, name)) {
            snprintf(c->err, sizeof c->err, "%s:%d: [%s] %s given twice (first on line %d)",
                     c->path, c->cur, section, name, s->kv[i].line);
            return 0;
        }
    void *np = grow(s->kv, &s->cap, s->nkv + 1, sizeof *s->kv);
    if (!np) {
        snprintf(c->err, sizeof c->err, "out of memory");
        return 0;
    }
    s->kv = np;
    sw_kv *kv = &s->kv[s->nkv];
    kv->name = strdup(name);
    kv->value = strdup(value);
    kv->line = c->cur;
    if (!kv->name || !kv->value) {
        free(kv->name);
        free(kv->value);
        snprintf(c->err, sizeof c->err, "out of memory");
        return 0;
    }
    s->nkv++;
    c->last = kv;
    return 1;
}

/* ---- lists and ranges ---------------------------------------------------------------- */

void fs_sweep_free_list(char **vals, int n)
{
    for (int i = 0; i < n; i++)
        free(vals[i]);
    free(vals);
}

typedef struct strlist {
    char  **v;
    int     n;
    size_t  cap;
} strlist;

static int sl_push(strlist *l, const char *s, size_t len)
{
    void *np = grow(l->v, &l->cap, (size_t)l->n + 1, sizeof *l->v);
    if (!np)
        return -1;
    l->v = np;
    if (!(l->v[l->n] = strndup(s, len)))
        return -1;
    l->n++;
    return 0;
}

/* Splits a list at commas outside quotes; an item wholly in "..." or '...'
 * loses its quotes. Empty items are an error. */
static int split_list(const char *s, strlist *out, char *err, size_t errlen)
{
    const char *p = s;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *start = p;
        char q = 0;
        while (*p && (q || *p != ',')) {
            if (q && *p == q)
                q = 0;
            else if (!q && (*p == '"' || *p == '\''))
                q = *p;
            p++;
        }
        if (q) {
            snprintf(err, errlen, "unterminated quote in '%s'", s);
            return -1;
        }
        size_t n = (size_t)(p - start);
        while (n && (start[n - 1] == ' ' || start[n - 1] == '\t'))
            n--;
        if (!n) {
            snprintf(err, errlen, "empty item in the list '%s'", s);
            return -1;
        }
        if (n >= 2 && (start[0] == '"' || start[0] == '\'') && start[n - 1] == start[0] &&
            !memchr(start + 1, start[0], n - 2)) {
            start++;
            n -= 2;
        }
        if (sl_push(out, start, n)) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        if (!*p)
            return 0;
        p++;
    }
}

/* Checks one value of parameter d (its syntax and range). */
static int check_value(const fs_param_def *d, const char *v, char *err, size_t errlen)
{
    void *scratch = calloc(1, d->offset + 64);
    if (!scratch) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int r = fs_param_set(d, scratch, v, NULL, err, errlen);
    if (d->type == FS_P_STRING) {
        char *sv;
        memcpy(&sv, (char *)scratch + d->offset, sizeof sv);
        free(sv);
    }
    free(scratch);
    if (r == 0 && d->type == FS_P_STRING && !strcmp(d->name, "filter") && *v) {
        /* the engine compiles filters per trace; catch a bad one here, early */
        pcap_t *pd = pcap_open_dead(DLT_EN10MB, 65535);
        struct bpf_program prog;
        if (pd && pcap_compile(pd, &prog, v, 1, PCAP_NETMASK_UNKNOWN) == 0) {
            pcap_freecode(&prog);
        } else {
            snprintf(err, errlen, "parameter filter: bad filter expression '%s': %s", v,
                     pd ? pcap_geterr(pd) : "pcap_open_dead failed");
            r = -1;
        }
        if (pd)
            pcap_close(pd);
    }
    return r;
}

static double round_sig(double x, int digits)
{
    if (x == 0 || !isfinite(x))
        return x;
    double e = floor(log10(fabs(x)));
    double scale = pow(10, digits - 1 - e);
    return nearbyint(x * scale) / scale;
}

static int is_inv(const char *s, double *n)
{
    if (strncmp(s, "1/", 2))
        return 0;
    char *e;
    double v = strtod(s + 2, &e);
    if (*e || !(v >= 1))
        return 0;
    *n = v;
    return 1;
}

/* A range end or step in the parameter's own unit, as a plain number:
 * nanoseconds, a count, a probability or a real. */
static int range_number(const fs_param_def *d, const char *s, int inv, double *out)
{
    switch (d->type) {
    case FS_P_DURATION: {
        fs_ns ns;
        if (fs_parse_duration(s, &ns, 0))
            return -1;
        *out = (double)ns;
        return 0;
    }
    case FS_P_COUNT:
    case FS_P_BYTES: {
        uint64_t v;
        if (fs_parse_count(s, &v))
            return -1;
        *out = (double)v;
        return 0;
    }
    case FS_P_PROB:
        if (inv)
            return is_inv(s, out) ? 0 : -1;
        return fs_parse_prob(s, out);
    case FS_P_REAL:
        return fs_parse_real(s, out);
    default:
        return -1;
    }
}

static int expand_range(const fs_param_def *d, const char *item, const char *dots,
                        strlist *out, char *err, size_t errlen)
{
    const char *syntax = "a range is 'A .. B log N', 'A .. B lin N', 'A .. B step S' or "
                         "'A .. B mul F'";
    if (d->type != FS_P_DURATION && d->type != FS_P_COUNT && d->type != FS_P_BYTES &&
        d->type != FS_P_PROB && d->type != FS_P_REAL) {
        snprintf(err, errlen, "parameter %s takes no range (not a number): list its values",
                 d->name);
        return -1;
    }
    char a_txt[128], rest[256];
    snprintf(a_txt, sizeof a_txt, "%.*s", (int)(dots - item), item);
    snprintf(rest, sizeof rest, "%s", dots + 2);
    char *a_s = trim(a_txt);
    char *tok[4] = {0};
    int nt = 0;
    for (char *t = strtok(rest, " \t"); t; t = strtok(NULL, " \t"))
        if (nt < 4)
            tok[nt++] = t;
        else
            nt = 5;
    if (!*a_s || nt != 3) {
        snprintf(err, errlen, "bad range '%s': %s", item, syntax);
        return -1;
    }
    const char *b_s = tok[0], *kw = tok[1], *arg = tok[2];
    double na, nb;
    int inv = d->type == FS_P_PROB && is_inv(a_s, &na) && is_inv(b_s, &nb);
    double a, b;
    if (range_number(d, a_s, inv, &a) || range_number(d, b_s, inv, &b)) {
        snprintf(err, errlen, "bad range '%s': '%s' or '%s' is not a value of %s", item, a_s,
                 b_s, d->name);
        return -1;
    }
    double xs[SW_MAX_VALUES];
    int n = 0, geometric = 0;
    char *e;
    if (!strcmp(kw, "log") || !strcmp(kw, "lin")) {
        long cnt = strtol(arg, &e, 10);
        if (*e || cnt < 2 || cnt > SW_MAX_VALUES) {
            snprintf(err, errlen, "bad range '%s': %s N needs a whole N from 2 to %d", item, kw,
                     SW_MAX_VALUES);
            return -1;
        }
        geometric = kw[1] == 'o';
        if (geometric && !(a > 0 && b > 0)) {
            snprintf(err, errlen, "bad range '%s': a log range needs ends above 0", item);
            return -1;
        }
        for (long i = 0; i < cnt; i++) {
            double f = (double)i / (double)(cnt - 1);
            xs[n++] = i == 0 ? a : i == cnt - 1 ? b :
                      geometric ? a * pow(b / a, f) : a + (b - a) * f;
        }
    } else if (!strcmp(kw, "step") || !strcmp(kw, "mul")) {
        double s;
        geometric = kw[0] == 'm';
        if (geometric) {
            s = strtod(arg, &e);
            if (*e || !(s > 1) || !(a > 0 && b > 0)) {
                snprintf(err, errlen, "bad range '%s': mul F needs F > 1 and ends above 0", item);
                return -1;
            }
        } else if ((inv ? (s = strtod(arg, &e), *e ? -1 : 0) : range_number(d, arg, 0, &s)) ||
                   !(s > 0)) {
            snprintf(err, errlen, "bad range '%s': step S needs S > 0 in the unit of %s%s", item,
                     d->name, inv ? " (here: a number N of 1/N)" : "");
            return -1;
        }
        int up = b >= a;
        double tol = 1e-9 * fmax(fabs(a), fabs(b));
        for (int i = 0;; i++) {
            double x = geometric ? (up ? a * pow(s, i) : a / pow(s, i)) :
                                   (up ? a + s * i : a - s * i);
            if (up ? x > b + tol : x < b - tol)
                break;
            if (n == SW_MAX_VALUES) {
                snprintf(err, errlen, "bad range '%s': more than %d values", item,
                         SW_MAX_VALUES);
                return -1;
            }
            xs[n++] = x;
        }
    } else {
        snprintf(err, errlen, "bad range '%s': unknown spacing '%s'; %s", item, kw, syntax);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        char v[64];
        double x = xs[i];
        switch (d->type) {
        case FS_P_DURATION:
            if (geometric)
                x = round_sig(x, 4);
            fs_format_duration((fs_ns)llround(x), v, sizeof v);
            break;
        case FS_P_COUNT:
        case FS_P_BYTES:
            snprintf(v, sizeof v, "%.0f", nearbyint(x));
            break;
        case FS_P_PROB:
            if (inv) {
                double k = nearbyint(x);
                if (k <= 1)
                    snprintf(v, sizeof v, "1");
                else
                    snprintf(v, sizeof v, "1/%.0f", k);
            } else {
                snprintf(v, sizeof v, "%.10g", geometric ? round_sig(x, 4) : x);
            }
            break;
        default:
            snprintf(v, sizeof v, "%.10g", geometric ? round_sig(x, 4) : x);
            break;
        }
        int dup = 0;
        for (int j = 0; j < out->n && !dup; j++)
            dup = !strcmp(out->v[j], v);
        if (dup)
            continue;
        char verr[512];
        if (check_value(d, v, verr, sizeof verr)) {
            snprintf(err, errlen, "range '%s' gives %s: %s", item, v, verr);
            return -1;
        }
        if (sl_push(out, v, strlen(v))) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    return 0;
}

int fs_sweep_expand(const fs_param_def *d, const char *expr, char ***vals, int *n, char *err,
                    size_t errlen)
{
    strlist items = {0}, out = {0};
    *vals = NULL;
    *n = 0;
    int rc = -1;
    if (split_list(expr, &items, err, errlen))
        goto done;
    for (int i = 0; i < items.n; i++) {
        const char *it = items.v[i];
        const char *dots = strstr(it, "..");
        if (dots && d->type != FS_P_STRING) {
            if (expand_range(d, it, dots, &out, err, errlen))
                goto done;
        } else {
            if (check_value(d, it, err, errlen))
                goto done;
            int dup = 0;
            for (int j = 0; j < out.n && !dup; j++)
                dup = !strcmp(out.v[j], it);
            if (!dup && sl_push(&out, it, strlen(it))) {
                snprintf(err, errlen, "out of memory");
                goto done;
            }
        }
        if (out.n > SW_MAX_VALUES) {
            snprintf(err, errlen, "more than %d values", SW_MAX_VALUES);
            goto done;
        }
    }
    *vals = out.v;
    *n = out.n;
    out.v = NULL;
    out.n = 0;
    rc = 0;
done:
    fs_sweep_free_list(items.v, items.n);
    fs_sweep_free_list(out.v, out.n);
    return rc;
}

/* ---- statistics ---------------------------------------------------------------------- */

int fs_sweep_stats(const double *x, int n, double *mean, double *sd, double *ci95)
{
    double s = 0;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(x[i])) {
            s += x[i];
            k++;
        }
    *mean = k ? s / k : NAN;
    *sd = *ci95 = NAN;
    if (k < 2)
        return k;
    double ss = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(x[i]))
            ss += (x[i] - *mean) * (x[i] - *mean);
    *sd = sqrt(ss / (k - 1));
    *ci95 = gsl_cdf_tdist_Pinv(0.975, (double)(k - 1)) * *sd / sqrt((double)k);
    return k;
}

/* ---- building the sweep ------------------------------------------------------------- */

#define ERRL(line, ...) do { \
        int k_ = snprintf(err, errlen, "%s:%d: ", sw->path, (line)); \
        if (k_ > 0 && (size_t)k_ < errlen) snprintf(err + k_, errlen - (size_t)k_, __VA_ARGS__); \
    } while (0)

static int add_trace(fs_sweep *sw, const char *sec, const char *text, int line, int *idx,
                     char *err, size_t errlen)
{
    for (size_t i = 0; i < sw->ntr; i++)
        if (!strcmp(sw->tr[i].text, text)) {
            *idx = (int)i;
            return 0;
        }
    char path[4200];
    if (text[0] == '/' || !strcmp(sw->dir, "."))
        snprintf(path, sizeof path, "%s", text);
    else
        snprintf(path, sizeof path, "%s/%s", sw->dir, text);
    struct stat st;
    if (stat(path, &st)) {
        ERRL(line, "[%s] traces: %s: %s", sec, path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        ERRL(line, "[%s] traces: %s: not a regular file", sec, path);
        return -1;
    }
    void *np = grow(sw->tr, &sw->captr, sw->ntr + 1, sizeof *sw->tr);
    if (!np)
        goto oom;
    sw->tr = np;
    sw_trace *t = &sw->tr[sw->ntr];
    memset(t, 0, sizeof *t);
    t->text = strdup(text);
    t->path = strdup(path);
    t->real = realpath(path, NULL);
    if (!t->text || !t->path || !t->real) {
        free(t->text);
        free(t->path);
        free(t->real);
        goto oom;
    }
    fs_dcache_id id;
    char e2[1024];
    if (fs_dcache_id_of(path, &id, e2, sizeof e2)) {
        free(t->text);
        free(t->path);
        free(t->real);
        ERRL(line, "[%s] traces: %s", sec, e2);
        return -1;
    }
    t->size = id.size;
    t->mtime_ns = id.mtime_s * 1000000000 + id.mtime_ns;
    t->sample = id.sample;
    *idx = (int)sw->ntr++;
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
    return -1;
}

static int parse_traces(fs_sweep *sw, const sw_section *s, const sw_kv *kv, int **idx, int *n,
                        char *err, size_t errlen)
{
    strlist l = {0};
    char e2[512];
    if (split_list(kv->value, &l, e2, sizeof e2)) {
        ERRL(kv->line, "[%s] traces: %s", s->name, e2);
        fs_sweep_free_list(l.v, l.n);
        return -1;
    }
    *idx = calloc((size_t)l.n, sizeof **idx);
    *n = 0;
    int rc = *idx ? 0 : -1;
    for (int i = 0; i < l.n && !rc; i++) {
        int k;
        rc = add_trace(sw, s->name, l.v[i], kv->line, &k, err, errlen);
        if (!rc) {
            int dup = 0;
            for (int j = 0; j < *n; j++)
                dup |= (*idx)[j] == k;
            if (!dup)
                (*idx)[(*n)++] = k;
        }
    }
    fs_sweep_free_list(l.v, l.n);
    return rc;
}

/* Whether run option d is one a [sweep] section sets once for every point
 * (every run option but the record, output and console ones, and
 * replicate_seed, which reruns one replicate of one pipeline). The shards
 * get these, and the sweep's manifest writes them. */
static int sweep_wide(const fs_param_def *d)
{
    return strcmp(d->name, "records") && strcmp(d->name, "out") &&
           strcmp(d->name, "progress") && strcmp(d->name, "quiet") &&
           strcmp(d->name, "replicate_seed");
}

static int valid_name(const char *s)
{
    if (!*s || strlen(s) > 100)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '.' || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

static int sweep_section(fs_sweep *sw, const sw_section *s, int **gtr, int *ngtr, char *err,
                         size_t errlen)
{
    for (size_t i = 0; i < s->nkv; i++) {
        const sw_kv *kv = &s->kv[i];
        const char *k = kv->name;
        char e2[512];
        if (!strcmp(k, "name")) {
            if (!valid_name(kv->value)) {
                ERRL(kv->line, "[sweep] name: '%s' is not a plain name (letters, digits, . _ -)",
                     kv->value);
                return -1;
            }
            free(sw->name);
            sw->name = strdup(kv->value);
        } else if (!strcmp(k, "description")) {
            free(sw->description);
            sw->description = strdup(kv->value);
        } else if (!strcmp(k, "traces")) {
            if (parse_traces(sw, s, kv, gtr, ngtr, err, errlen))
                return -1;
        } else if (!strcmp(k, "records") || !strcmp(k, "out") || !strcmp(k, "progress") ||
                   !strcmp(k, "quiet") || !strcmp(k, "replicate_seed")) {
            ERRL(kv->line, "[sweep] %s: not a sweep option (%s)", k,
                 !strcmp(k, "records") ? "sweeps keep no records; run the point with flowsim "
                                         "run --records" :
                 !strcmp(k, "out") ? "give --out DIR on the command line" :
                 !strcmp(k, "replicate_seed") ? "rerun one replicate of a point with flowsim "
                                                "run -m SPEC --replicate-seed SEED" :
                                     "a command-line option of flowsim sweep");
            return -1;
        } else {
            const char *pn = !strcmp(k, "replicates") ? "seeds" : k;
            const fs_param_def *d = fs_params_find(fs_run_params_def, fs_run_nparams, pn);
            if (!d) {
                char known[512] = "name, description, traces, replicates";
                for (size_t x = 0; x < fs_run_nparams; x++) {
                    const char *n = fs_run_params_def[x].name;
                    if (sweep_wide(&fs_run_params_def[x]) && strcmp(n, "seeds"))
                        snprintf(known + strlen(known), sizeof known - strlen(known), ", %s",
                                 n);
                }
                ERRL(kv->line, "[sweep] unknown key '%s' (known: %s)", k, known);
                return -1;
            }
            if (strchr(kv->value, ',') || strstr(kv->value, "..")) {
                ERRL(kv->line, "[sweep] %s takes one value (it applies to every point)", k);
                return -1;
            }
            if (fs_param_set(d, &sw->cfg, kv->value, NULL, e2, sizeof e2)) {
                ERRL(kv->line, "[sweep] %s: %s", k, e2);
                return -1;
            }
        }
    }
    return 0;
}

static int slurm_section(fs_sweep *sw, const sw_section *s, char *err, size_t errlen)
{
    for (size_t i = 0; i < s->nkv; i++) {
        const sw_kv *kv = &s->kv[i];
        if (!strcmp(kv->name, "options")) {
            free(sw->sbatch_options);
            sw->sbatch_options = strdup(kv->value);
            for (char *c = sw->sbatch_options; c && *c; c++)
                if (*c == ',')
                    *c = ' ';   /* continuation lines join with ',' */
        } else if (!strcmp(kv->name, "max_running")) {
            if (fs_parse_count(kv->value, &sw->max_running) || !sw->max_running) {
                ERRL(kv->line, "[slurm] max_running: '%s' is not a number >= 1", kv->value);
                return -1;
            }
        } else {
            ERRL(kv->line, "[slurm] unknown key '%s' (known: options, max_running)", kv->name);
            return -1;
        }
    }
    return 0;
}

static const fs_param_def *param_of(const fs_algo *a, const char *name)
{
    const fs_param_def *d = fs_params_find(a->params, a->nparams, name);
    return d ? d : fs_params_find(fs_common_params_def, fs_common_nparams, name);
}

static int is_special_key(const char *k)
{
    return !strcmp(k, "algorithm") || !strcmp(k, "stages") || !strcmp(k, "traces");
}

/* The value of a parameter column: numbers as plain numbers (durations in
 * seconds, probabilities as decimals) so that plots can use them as axes. */
static char *col_value(const fs_param_def *d, const void *vals)
{
    char v[512];
    const char *base = (const char *)vals + d->offset;
    switch (d->type) {
    case FS_P_DURATION: {
        fs_ns ns;
        memcpy(&ns, base, sizeof ns);
        if (ns == FS_NS_INF)
            snprintf(v, sizeof v, "inf");
        else
            snprintf(v, sizeof v, "%.10g", (double)ns / 1e9);
        break;
    }
    case FS_P_PROB:
    case FS_P_REAL: {
        double x;
        memcpy(&x, base, sizeof x);
        snprintf(v, sizeof v, "%.10g", x);
        break;
    }
    default:
        fs_param_format(d, vals, v, sizeof v);
        break;
    }
    csv_safe(v);
    return strdup(v);
}

static void quote_value(const char *v, char *buf, size_t n)
{
    if (strpbrk(v, ",;|\"' =")) {
        char q = strchr(v, '"') ? '\'' : '"';
        snprintf(buf, n, "%c%s%c", q, v, q);
    } else {
        snprintf(buf, n, "%s", v);
    }
}

typedef struct dim {
    const sw_kv *kv;
    char       **vals;
    int          n;
} dim;

static int add_point(fs_sweep *sw, smap *seen, int sec, int tr, const char *spec,
                     const char *stage_txt, int line, char *err, size_t errlen)
{
    fs_pipeline_spec ps;
    char e2[1024];
    if (fs_pipeline_parse(spec, &ps, e2, sizeof e2)) {
        ERRL(line, "[%s] %s", sw->sec[sec].name, e2);
        return -1;
    }
    const fs_run_cfg *c = &sw->cfg;
    const char *names[] = {"seeds", "seed", "bin", "topk", "prefix4", "prefix6", "bin_rows",
                           "timeseries"};
    char ident[16384];
    size_t k = (size_t)snprintf(ident, sizeof ident, "flowsim-sweep-point 1\nversion=%s\n"
                                "rng=%s\ntrace=%s\nsize=%llu\nmtime=%lld\nsample=%016llx\n"
                                "algorithm=%s\nparams=%s\n", FS_VERSION, FS_RNG_RULE,
                                sw->tr[tr].text, (unsigned long long)sw->tr[tr].size,
                                (long long)sw->tr[tr].mtime_ns,
                                (unsigned long long)sw->tr[tr].sample, ps.algo->name,
                                ps.params_all);
    for (size_t i = 0; i < sizeof names / sizeof names[0] && k < sizeof ident; i++) {
        char v[256];
        fs_param_format(fs_params_find(fs_run_params_def, fs_run_nparams, names[i]), c, v,
                        sizeof v);
        k += (size_t)snprintf(ident + k, sizeof ident - k, "%s=%s\n", names[i], v);
    }
    char id[33];
    hex128(ident, strlen(ident), id);
    if (smap_get(seen, id) >= 0) {   /* the same point from another section */
        fs_pipeline_free(&ps);
        return 0;
    }
    if (sw->npt >= SW_MAX_POINTS) {
        ERRL(line, "[%s] more than %d points", sw->sec[sec].name, SW_MAX_POINTS);
        fs_pipeline_free(&ps);
        return -1;
    }
    void *np = grow(sw->pt, &sw->cappt, sw->npt + 1, sizeof *sw->pt);
    if (!np || smap_put(seen, id, (int)sw->npt)) {
        if (np)
            sw->pt = np;
        fs_pipeline_free(&ps);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    sw->pt = np;
    sw_point *p = &sw->pt[sw->npt];
    memset(p, 0, sizeof *p);
    p->section = sec;
    p->trace = tr;
    memcpy(p->id, id, sizeof id);
    p->spec = strdup(spec);
    p->label = strdup(ps.label);
    p->algo = strdup(ps.algo->name);
    p->params = strdup(ps.params_csv);
    p->cols = calloc(sw->ncol ? sw->ncol : 1, sizeof *p->cols);
    int bad = !p->spec || !p->label || !p->algo || !p->params || !p->cols;
    for (size_t ci = 0; ci < sw->ncol && !bad; ci++) {
        const char *cp = sw->colparam[ci];
        const fs_param_def *d;
        if (!strcmp(cp, "stages")) {
            char v[1024];
            snprintf(v, sizeof v, "%s", stage_txt && *stage_txt ? stage_txt : "none");
            csv_safe(v);
            p->cols[ci] = strdup(v);
        } else if ((d = fs_params_find(ps.algo->params, ps.algo->nparams, cp))) {
            p->cols[ci] = col_value(d, ps.aparams);
        } else if ((d = fs_params_find(fs_common_params_def, fs_common_nparams, cp))) {
            p->cols[ci] = col_value(d, &ps.common);
        } else {
            p->cols[ci] = strdup("");
        }
        bad |= !p->cols[ci];
    }
    /* memory estimate: see the help text and docs/sweep.md */
    double entries = SW_INF_ENTRIES;
    const fs_param_def *de = fs_params_find(ps.algo->params, ps.algo->nparams, "entries");
    if (de && (de->type == FS_P_COUNT || de->type == FS_P_BYTES)) {
        uint64_t e;
        memcpy(&e, (const char *)ps.aparams + de->offset, sizeof e);
        if (e != UINT64_MAX)
            entries = (double)e;
    }
    p->mem = (double)c->seeds * (2.0 * entries * (double)ps.common.entry_bytes + SW_POINT_BYTES);
    sw->npt++;
    fs_pipeline_free(&ps);
    if (bad) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static int pipeline_section(fs_sweep *sw, int si, smap *seen, const int *gtr, int ngtr,
                            char *err, size_t errlen)
{
    const sw_section *s = &sw->sec[si];
    char e2[1024];
    int rc = -1;
    strlist algos = {0}, stages = {0};
    int *tr = NULL, ntr = 0;
    dim *dims = calloc(s->nkv ? s->nkv : 1, sizeof *dims);
    size_t nd = 0;
    int *odo = calloc(s->nkv + 1, sizeof *odo);
    if (!dims || !odo) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    if (!valid_name(s->name)) {
        /* the name may hold any byte: show the plain ones only */
        char shown[64];
        size_t k = 0;
        for (const char *c = s->name; *c && k + 5 < sizeof shown; c++)
            k += (size_t)(*c >= 0x20 && *c < 0x7f ? snprintf(shown + k, sizeof shown - k, "%c", *c)
                                                 : snprintf(shown + k, sizeof shown - k, "\\x%02x",
                                                            (unsigned char)*c));
        ERRL(s->line, "section name [%s] is not a plain name (letters, digits, . _ -)", shown);
        goto done;
    }
    const sw_kv *akv = NULL, *skv = NULL, *tkv = NULL;
    for (size_t i = 0; i < s->nkv; i++) {
        if (!strcmp(s->kv[i].name, "algorithm"))
            akv = &s->kv[i];
        else if (!strcmp(s->kv[i].name, "stages"))
            skv = &s->kv[i];
        else if (!strcmp(s->kv[i].name, "traces"))
            tkv = &s->kv[i];
    }
    int aline = akv ? akv->line : s->line;
    if (akv) {
        if (split_list(akv->value, &algos, e2, sizeof e2)) {
            ERRL(akv->line, "[%s] algorithm: %s", s->name, e2);
            goto done;
        }
    } else if (fs_algo_find(s->name)) {
        sl_push(&algos, s->name, strlen(s->name));
    } else {
        ERRL(s->line, "[%s] no algorithm (algorithm = NAME; flowsim algorithms lists them)",
             s->name);
        goto done;
    }
    for (int i = 0; i < algos.n; i++)
        if (!fs_algo_find(algos.v[i])) {
            size_t k = 0;
            char known[512] = "";
            for (size_t j = 0; j < fs_algo_count(); j++)
                k += (size_t)snprintf(known + k, k < sizeof known ? sizeof known - k : 0,
                                      " %s", fs_algo_at(j)->name);
            ERRL(aline, "[%s] algorithm: unknown algorithm '%s' (known:%s)", s->name,
                 algos.v[i], known);
            goto done;
        }
    if (skv) {
        if (split_list(skv->value, &stages, e2, sizeof e2)) {
            ERRL(skv->line, "[%s] stages: %s", s->name, e2);
            goto done;
        }
        for (int i = 0; i < stages.n; i++) {
            if (!strcmp(stages.v[i], "none")) {
                stages.v[i][0] = 0;
                continue;
            }
            char spec[2048];
            fs_pipeline_spec ps;
            snprintf(spec, sizeof spec, "%s|%s", algos.v[0], stages.v[i]);
            if (fs_pipeline_parse(spec, &ps, e2, sizeof e2)) {
                ERRL(skv->line, "[%s] stages: %s", s->name, e2);
                goto done;
            }
            fs_pipeline_free(&ps);
        }
    } else {
        sl_push(&stages, "", 0);
    }
    if (tkv) {
        if (parse_traces(sw, s, tkv, &tr, &ntr, err, errlen))
            goto done;
    } else if (ngtr) {
        tr = malloc((size_t)ngtr * sizeof *tr);
        if (!tr)
            goto done;
        memcpy(tr, gtr, (size_t)ngtr * sizeof *tr);
        ntr = ngtr;
    } else {
        ERRL(s->line, "[%s] no traces (traces = FILE, ... in [sweep] or in this section)",
             s->name);
        goto done;
    }
    /* check every parameter against every algorithm of the section first, so
     * that an error names the key's own line */
    for (int a = 0; a < algos.n; a++) {
        const fs_algo *al = fs_algo_find(algos.v[a]);
        for (size_t i = 0; i < s->nkv; i++) {
            const sw_kv *kv = &s->kv[i];
            if (is_special_key(kv->name))
                continue;
            const fs_param_def *d = param_of(al, kv->name);
            if (!d) {
                size_t k = 0;
                char known[1024] = "";
                for (size_t j = 0; j < al->nparams; j++)
                    k += (size_t)snprintf(known + k, k < sizeof known ? sizeof known - k : 0,
                                          " %s", al->params[j].name);
                ERRL(kv->line, "[%s] unknown key '%s': not a parameter of %s (known:%s; the "
                     "common ones in flowsim algorithms; and algorithm, stages, traces)",
                     s->name, kv->name, al->name, known);
                goto done;
            }
            char **v;
            int n;
            if (fs_sweep_expand(d, kv->value, &v, &n, e2, sizeof e2)) {
                ERRL(kv->line, "[%s] %s: %s", s->name, kv->name, e2);
                goto done;
            }
            fs_sweep_free_list(v, n);
        }
    }
    for (int t = 0; t < ntr; t++)
        for (int a = 0; a < algos.n; a++) {
            const fs_algo *al = fs_algo_find(algos.v[a]);
            for (size_t i = 0; i < nd; i++)
                fs_sweep_free_list(dims[i].vals, dims[i].n);
            nd = 0;
            for (size_t i = 0; i < s->nkv; i++) {
                if (is_special_key(s->kv[i].name))
                    continue;
                dims[nd].kv = &s->kv[i];
                if (fs_sweep_expand(param_of(al, s->kv[i].name), s->kv[i].value,
                                    &dims[nd].vals, &dims[nd].n, e2, sizeof e2)) {
                    ERRL(s->kv[i].line, "[%s] %s: %s", s->name, s->kv[i].name, e2);
                    goto done;
                }
                nd++;
            }
            /* refuse a grid that is too large before building any of it */
            double total = (double)stages.n;
            for (size_t i = 0; i < nd; i++)
                total *= dims[i].n;
            if ((double)sw->npt + total * (ntr - t) * (algos.n - a) > SW_MAX_POINTS) {
                ERRL(s->line, "[%s] more than %d points (this section alone makes %.0f)",
                     s->name, SW_MAX_POINTS, total * ntr * algos.n);
                goto done;
            }
            memset(odo, 0, (s->nkv + 1) * sizeof *odo);
            for (;;) {
                for (int st = 0; st < stages.n; st++) {
                    char spec[8192];
                    size_t k = (size_t)snprintf(spec, sizeof spec, "%s", al->name);
                    for (size_t i = 0; i < nd && k < sizeof spec; i++) {
                        char q[2048];
                        quote_value(dims[i].vals[odo[i]], q, sizeof q);
                        k += (size_t)snprintf(spec + k, sizeof spec - k, "%c%s=%s",
                                              i ? ',' : ':', dims[i].kv->name, q);
                    }
                    if (*stages.v[st] && k < sizeof spec)
                        k += (size_t)snprintf(spec + k, sizeof spec - k, "|%s", stages.v[st]);
                    if (k >= sizeof spec) {
                        ERRL(s->line, "[%s] a pipeline spec is too long", s->name);
                        goto done;
                    }
                    if (add_point(sw, seen, si, tr[t], spec, stages.v[st], aline, err, errlen))
                        goto done;
                }
                /* next combination: the last key varies fastest */
                size_t i = nd;
                while (i > 0 && ++odo[i - 1] == dims[i - 1].n)
                    odo[--i] = 0;
                if (i == 0)
                    break;
            }
        }
    rc = 0;
done:
    for (size_t i = 0; i < nd; i++)
        fs_sweep_free_list(dims[i].vals, dims[i].n);
    free(dims);
    free(odo);
    free(tr);
    fs_sweep_free_list(algos.v, algos.n);
    fs_sweep_free_list(stages.v, stages.n);
    return rc;
}

static int add_column(fs_sweep *sw, const char *param)
{
    for (size_t c = 0; c < sw->ncol; c++)
        if (!strcmp(sw->colparam[c], param))
            return 0;
    size_t cap2 = sw->capcol;
    void *a = grow(sw->colparam, &sw->capcol, sw->ncol + 1, sizeof *sw->colparam);
    if (!a)
        return -1;
    sw->colparam = a;
    void *b = grow(sw->colname, &cap2, sw->ncol + 1, sizeof *sw->colname);
    if (!b)
        return -1;
    sw->colname = b;
    int reserved = 0;
    for (const char *const *r = reserved_cols; *r; r++)
        reserved |= !strcmp(*r, param);
    char name[128];
    snprintf(name, sizeof name, "%s%s", reserved ? "param_" : "", param);
    sw->colparam[sw->ncol] = strdup(param);
    sw->colname[sw->ncol] = strdup(name);
    if (!sw->colparam[sw->ncol] || !sw->colname[sw->ncol]) {
        free(sw->colparam[sw->ncol]);
        free(sw->colname[sw->ncol]);
        return -1;
    }
    sw->ncol++;
    return 0;
}

fs_sweep *fs_sweep_load(const char *path, char *err, size_t errlen)
{
    fs_sweep *sw = calloc(1, sizeof *sw);
    if (!sw) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    int *gtr = NULL, ngtr = 0;
    smap seen = {0};
    sw->path = strdup(path);
    const char *slash = strrchr(path, '/');
    sw->dir = slash ? strndup(path, (size_t)(slash - path) + (slash == path)) : strdup(".");
    if (!sw->path || !sw->dir)
        goto oom;
    if (fs_params_defaults(fs_run_params_def, fs_run_nparams, &sw->cfg, err, errlen))
        goto fail;
    sw->cfg_init = 1;
    sw->cfg.records = 0;
    sw->cfg.progress = 0;
    sw->cfg.quiet = 1;
    struct stat stt;
    if (stat(path, &stt) == 0 && S_ISDIR(stt.st_mode)) {
        snprintf(err, errlen, "%s: is a directory, not a sweep file", path);
        goto fail;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        goto fail;
    }
    ini_ctx c = {.sw = sw, .f = f, .path = path, .next = 1};
    int r = ini_parse_stream(sw_ini_read, &c, sw_ini_pair, &c);
    fclose(f);
    if (c.err[0]) {
        snprintf(err, errlen, "%s", c.err);
        goto fail;
    }
    if (r) {
        snprintf(err, errlen, "%s:%d: syntax error (expected [section], name = value, or a "
                 "comment starting with ; or #)", path, r);
        goto fail;
    }
    /* the sweep's own name: [sweep] name, else the file name without .ini */
    const char *base = slash ? slash + 1 : path;
    const char *dot = strrchr(base, '.');
    sw->name = strndup(base, dot && dot != base ? (size_t)(dot - base) : strlen(base));
    if (!sw->name)
        goto oom;
    for (char *ch = sw->name; *ch; ch++)
        if (!valid_name((char[]){*ch, 0}))
            *ch = '_';
    const sw_section *ss = NULL;
    for (size_t i = 0; i < sw->nsec; i++)
        if (!strcmp(sw->sec[i].name, "sweep"))
            ss = &sw->sec[i];
    if (!ss) {
        snprintf(err, errlen, "%s:1: no [sweep] section (traces, replicates, seed, bin)", path);
        goto fail;
    }
    if (sweep_section(sw, ss, &gtr, &ngtr, err, errlen))
        goto fail;
    for (size_t i = 0; i < sw->nsec; i++)
        if (!strcmp(sw->sec[i].name, "slurm") && slurm_section(sw, &sw->sec[i], err, errlen))
            goto fail;
    /* the parameter columns: every parameter named in a pipeline section */
    for (size_t i = 0; i < sw->nsec; i++) {
        const sw_section *s = &sw->sec[i];
        if (!strcmp(s->name, "sweep") || !strcmp(s->name, "slurm"))
            continue;
        for (size_t j = 0; j < s->nkv; j++) {
            const char *k = s->kv[j].name;
            if ((!is_special_key(k) || !strcmp(k, "stages")) && add_column(sw, k))
                goto oom;
        }
    }
    int npipe = 0;
    for (size_t i = 0; i < sw->nsec; i++) {
        if (!strcmp(sw->sec[i].name, "sweep") || !strcmp(sw->sec[i].name, "slurm"))
            continue;
        npipe++;
        if (pipeline_section(sw, (int)i, &seen, gtr, ngtr, err, errlen))
            goto fail;
    }
    if (!npipe) {
        snprintf(err, errlen, "%s:%d: no pipeline section (e.g. [sampled] algorithm = "
                 "sampled-netflow, rate = 1/10 .. 1/1000 log 7)", path, ss->line);
        goto fail;
    }
    free(gtr);
    smap_free(&seen);
    return sw;
oom:
    snprintf(err, errlen, "out of memory");
fail:
    free(gtr);
    smap_free(&seen);
    fs_sweep_free(sw);
    return NULL;
}

/* ---- shards ---------------------------------------------------------------------------
 * A shard is one pass (fs_run) over one trace with some of its points. The
 * missing points of each trace are packed in point order into as few shards
 * as the memory budget allows (estimate: SW_PASS_BYTES per pass plus each
 * point's fs_sweep_point_mem); then, while there are fewer shards than jobs,
 * the costliest shard with two points or more is halved. */

typedef struct shard {
    int    trace;
    int   *pts;
    int    n;
    size_t cap;
    double mem, cost;
    char   tag[17];
} shard;

static double shard_cost(const fs_sweep *sw, const shard *s)
{
    return (double)sw->tr[s->trace].size * (2.0 + (double)s->n * (double)sw->cfg.seeds);
}

static void shard_tag(const fs_sweep *sw, shard *s)
{
    XXH3_state_t *st = XXH3_createState();
    XXH3_128bits_reset(st);
    for (int i = 0; i < s->n; i++)
        XXH3_128bits_update(st, sw->pt[s->pts[i]].id, 32);
    XXH128_hash_t h = XXH3_128bits_digest(st);
    XXH3_freeState(st);
    snprintf(s->tag, sizeof s->tag, "%016llx", (unsigned long long)h.high64);
}

static void free_shards(shard *s, int n)
{
    for (int i = 0; i < n; i++)
        free(s[i].pts);
    free(s);
}

static int plan_shards(const fs_sweep *sw, const int *miss, int nmiss, double budget, int jobs,
                       double max_runs, shard **out, int *nout)
{
    shard *sh = NULL;
    size_t cap = 0;
    int n = 0;
    for (size_t t = 0; t < sw->ntr; t++) {
        int open = 0;
        for (int i = 0; i < nmiss; i++) {
            const sw_point *p = &sw->pt[miss[i]];
            if (p->trace != (int)t)
                continue;
            const shard *last = open ? &sh[n - 1] : NULL;
            if (!last || (last->n && (last->mem + p->mem > budget ||
                                      (last->n + 1.0) * (double)sw->cfg.seeds > max_runs))) {
                void *np = grow(sh, &cap, (size_t)n + 1, sizeof *sh);
                if (!np)
                    goto oom;
                sh = np;
                memset(&sh[n], 0, sizeof sh[n]);
                sh[n].trace = (int)t;
                sh[n].mem = SW_PASS_BYTES;
                n++;
                open = 1;
            }
            shard *s = &sh[n - 1];
            void *np = grow(s->pts, &s->cap, (size_t)s->n + 1, sizeof *s->pts);
            if (!np)
                goto oom;
            s->pts = np;
            s->pts[s->n++] = miss[i];
            s->mem += p->mem;
        }
    }
    while (n < jobs) {
        int best = -1;
        for (int i = 0; i < n; i++)
            if (sh[i].n >= 2 && (best < 0 || shard_cost(sw, &sh[i]) > shard_cost(sw, &sh[best])))
                best = i;
        if (best < 0)
            break;
        void *np = grow(sh, &cap, (size_t)n + 1, sizeof *sh);
        if (!np)
            goto oom;
        sh = np;
        memmove(&sh[best + 2], &sh[best + 1], (size_t)(n - best - 1) * sizeof *sh);
        n++;
        shard *a = &sh[best], *b = &sh[best + 1];
        int keep = (a->n + 1) / 2;
        memset(b, 0, sizeof *b);
        b->trace = a->trace;
        b->n = a->n - keep;
        b->cap = (size_t)b->n;
        b->pts = malloc((size_t)b->n * sizeof *b->pts);
        if (!b->pts)
            goto oom;
        memcpy(b->pts, a->pts + keep, (size_t)b->n * sizeof *b->pts);
        a->n = keep;
        a->mem = b->mem = SW_PASS_BYTES;
        for (int i = 0; i < a->n; i++)
            a->mem += sw->pt[a->pts[i]].mem;
        for (int i = 0; i < b->n; i++)
            b->mem += sw->pt[b->pts[i]].mem;
    }
    for (int i = 0; i < n; i++) {
        sh[i].cost = shard_cost(sw, &sh[i]);
        shard_tag(sw, &sh[i]);
    }
    *out = sh;
    *nout = n;
    return 0;
oom:
    free_shards(sh, n);
    return -1;
}

/* Every pipeline-replicate of a pass keeps up to two temporary files open
 * (its rows and its time series): raise the soft limit on open files to the
 * hard one, and return how many pipeline-replicates a pass may hold. */
static double open_files_runs(void)
{
    double n = (fs_fdlimit_raise() - 64) / 2;
    return n < 1 ? 1 : n;
}

/* ---- running one shard ------------------------------------------------------------------ */

static int point_done(const char *out, const sw_point *p)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/points/%s.csv", out, p->id);
    return access(path, F_OK) == 0;
}

static void host_name(char *buf, size_t n)
{
    if (gethostname(buf, n))
        snprintf(buf, n, "localhost");
    buf[n - 1] = 0;
    for (char *c = buf; *c; c++)
        if (*c == '-' || *c == '/')
            *c = '_';
}

/* Splits a pass's results.csv (prefix 'R') or timeseries.csv ('T') into the
 * points' files: each row's "pN," becomes "R," or "T,". */
static int split_rows(const fs_sweep *sw, const shard *sh, const char *wd, const char *name,
                      char tagc)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s", wd, name);
    FILE *in = fopen(path, "r");
    if (!in)
        return -1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    FILE *cur = NULL;
    int curp = -1, bad = 0, first = 1;
    while (!bad && (len = getline(&line, &cap, in)) > 0) {
        if (first) {   /* the header */
            first = 0;
            continue;
        }
        char *e;
        long p = line[0] == 'p' ? strtol(line + 1, &e, 10) : -1;
        if (p < 0 || p >= sh->n || *e != ',') {
            bad = 1;
            break;
        }
        if (p != curp) {
            if (cur)
                bad |= fclose(cur) != 0;
            snprintf(path, sizeof path, "%s/pt-%s.csv", wd, sw->pt[sh->pts[p]].id);
            cur = fopen(path, "a");
            curp = (int)p;
            if (!cur) {
                bad = 1;
                break;
            }
        }
        fputc(tagc, cur);
        bad |= fputs(e, cur) < 0;
    }
    if (cur)
        bad |= fclose(cur) != 0;
    bad |= ferror(in);
    fclose(in);
    free(line);
    return bad ? -1 : 0;
}

static int run_shard(const fs_sweep *sw, const shard *sh, const char *out, int child)
{
    char host[128], wd[4400];
    host_name(host, sizeof host);
    snprintf(wd, sizeof wd, "%s/work/%s-%d", out, host, (int)getpid());
    if (mkdir_p(wd)) {
        fprintf(stderr, "flowsim sweep: %s: cannot create: %s\n", wd, strerror(errno));
        return 2;
    }
    if (child) {
        char lp[4500];
        snprintf(lp, sizeof lp, "%s/log", wd);
        int fd = open(lp, O_WRONLY | O_CREAT | O_TRUNC, 0666);
        if (fd >= 0) {
            dup2(fd, 2);
            close(fd);
        }
    }
    const sw_trace *t = &sw->tr[sh->trace];
    fs_pipeline_spec *ps = calloc((size_t)sh->n, sizeof *ps);
    /* the equivalent command line, for the pass's manifest */
    int argc = 0;
    char **argv = calloc((size_t)(2 * sh->n + 40), sizeof *argv);
    if (!ps || !argv) {
        free(ps);
        free(argv);
        fprintf(stderr, "flowsim sweep: out of memory\n");
        return 2;
    }
    argv[argc++] = strdup("flowsim");
    argv[argc++] = strdup("run");
    argv[argc++] = strdup(t->path);
    int status = 0, nparsed = 0;
    for (int i = 0; i < sh->n && !status; i++) {
        char err[1024];
        if (fs_pipeline_parse(sw->pt[sh->pts[i]].spec, &ps[i], err, sizeof err)) {
            fprintf(stderr, "flowsim sweep: %s\n", err);
            status = 1;
            break;
        }
        nparsed++;
        argv[argc++] = strdup("-m");
        argv[argc++] = strdup(sw->pt[sh->pts[i]].spec);
    }
    for (size_t i = 0; i < fs_run_nparams; i++) {
        const fs_param_def *d = &fs_run_params_def[i];
        if (!sweep_wide(d) && strcmp(d->name, "records"))
            continue;
        char o[64], v[1024];
        snprintf(o, sizeof o, "--%s", d->name);
        for (char *c = o; *c; c++)
            if (*c == '_')
                *c = '-';
        fs_param_format(d, &sw->cfg, v, sizeof v);
        argv[argc++] = strdup(o);
        argv[argc++] = strdup(v);
    }
    argv[argc++] = strdup("--quiet");
    if (!status) {
        fs_run_cfg cfg = sw->cfg;
        cfg.out = wd;
        cfg.progress = 0;
        cfg.quiet = 1;
        cfg.records = 0;
        const char *trp = t->path;
        status = fs_run(&cfg, &trp, 1, ps, sh->n, argc, argv);
    }
    for (int i = 0; i < nparsed; i++)
        fs_pipeline_free(&ps[i]);
    free(ps);
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    free(argv);
    if (status)
        return status;
    /* the pass is complete: hand its rows to the points, then publish the
     * manifest and, one rename each, the points */
    char path[4500], to[4500];
    int bad = 0;
    for (int i = 0; i < sh->n && !bad; i++) {
        snprintf(path, sizeof path, "%s/pt-%s.csv", wd, sw->pt[sh->pts[i]].id);
        FILE *f = fopen(path, "w");
        bad |= !f;
        if (f) {
            fprintf(f, "# flowsim sweep point %s\n# manifest %s\n# spec %s\n",
                     sw->pt[sh->pts[i]].id, sh->tag, sw->pt[sh->pts[i]].label);
            bad |= fclose(f) != 0;
        }
    }
    bad = bad || split_rows(sw, sh, wd, "results.csv", 'R');
    if (!bad && sw->cfg.timeseries)
        bad = split_rows(sw, sh, wd, "timeseries.csv", 'T');
    snprintf(path, sizeof path, "%s/manifest.json", wd);
    snprintf(to, sizeof to, "%s/manifests/%s.json", out, sh->tag);
    bad = bad || rename(path, to);
    for (int i = 0; i < sh->n && !bad; i++) {
        snprintf(path, sizeof path, "%s/pt-%s.csv", wd, sw->pt[sh->pts[i]].id);
        snprintf(to, sizeof to, "%s/points/%s.csv", out, sw->pt[sh->pts[i]].id);
        bad |= rename(path, to) != 0;
    }
    if (bad) {
        fprintf(stderr, "flowsim sweep: %s: cannot write the points' results: %s\n", out,
                strerror(errno));
        return 2;
    }
    rm_rf(wd);
    return 0;
}

/* ---- local execution: a pool of -j forked passes, a progress bar ------------------------ */

static volatile sig_atomic_t g_stop;

static void on_signal(int s)
{
    g_stop = s;
}

/* The part of the trace a running pass has read, from the position of its
 * open file (/proc/PID/fdinfo), in [0, 1]. */
static double pass_fraction(pid_t pid, const sw_trace *t)
{
    char d[64];
    snprintf(d, sizeof d, "/proc/%d/fd", (int)pid);
    DIR *dir = opendir(d);
    if (!dir)
        return 0;
    double best = 0;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (e->d_name[0] == '.')
            continue;
        char p[128], l[PATH_MAX];
        snprintf(p, sizeof p, "/proc/%d/fd/%s", (int)pid, e->d_name);
        ssize_t n = readlink(p, l, sizeof l - 1);
        if (n <= 0)
            continue;
        l[n] = 0;
        if (strcmp(l, t->real))
            continue;
        snprintf(p, sizeof p, "/proc/%d/fdinfo/%s", (int)pid, e->d_name);
        FILE *f = fopen(p, "r");
        unsigned long long pos = 0;
        if (f) {
            if (fscanf(f, "pos: %llu", &pos) == 1 && t->size) {
                double fr = (double)pos / (double)t->size;
                best = fr > best ? fr : best;
            }
            fclose(f);
        }
    }
    closedir(dir);
    return best > 1 ? 1 : best;
}

static void fmt_time(double s, char *buf, size_t n)
{
    long v = (long)(s + 0.5);
    if (v >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", v / 3600, v / 60 % 60, v % 60);
    else
        snprintf(buf, n, "%ld:%02ld", v / 60, v % 60);
}

/* final: NULL while running, else the closing word ("done", "stopped") */
static void progress_bar(const char *name, double frac, int done, int total, int running,
                         double elapsed, const char *final)
{
    char bar[25], el[32], eta[32];
    int w = (int)(frac * 24 + 0.5);
    for (int i = 0; i < 24; i++)
        bar[i] = i < w ? '#' : '-';
    bar[24] = 0;
    fmt_time(elapsed, el, sizeof el);
    if (final)
        snprintf(eta, sizeof eta, "%s", final);
    else if (frac > 0.002 && elapsed > 0.5) {
        char t[24];
        fmt_time(elapsed * (1 - frac) / frac, t, sizeof t);
        snprintf(eta, sizeof eta, "ETA %s", t);
    } else
        snprintf(eta, sizeof eta, "ETA ?");
    fprintf(stderr, "\rflowsim sweep %s [%s] %3d%% %d/%d points, %d running, %s elapsed, %s  %s",
            name, bar, (int)(frac * 100), done, total, running, el, eta, final ? "\n" : "");
    fflush(stderr);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void last_line(const char *path, char *buf, size_t n)
{
    buf[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[2048];
    while (fgets(line, sizeof line, f))
        if (*trim(line))
            snprintf(buf, n, "%s", trim(line));
    fclose(f);
}

typedef struct slot {
    pid_t pid;
    int   shard;
} slot;

static int run_local(const fs_sweep *sw, const char *out, shard *sh, int nsh, int jobs,
                     int show, int done_before)
{
    struct sigaction sa, old_int, old_term, old_hup;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    g_stop = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGHUP, &sa, &old_hup);
    /* SIGCHLD stays pending, so that sigtimedwait wakes up when a pass ends */
    sigset_t chld, old_mask;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &old_mask);
    int *order = malloc((size_t)nsh * sizeof *order);
    slot *run = calloc((size_t)jobs, sizeof *run);
    double *frac = calloc((size_t)nsh, sizeof *frac);
    int failures = 0, status = 0;
    if (!order || !run || !frac) {
        free(order);
        free(run);
        free(frac);
        fprintf(stderr, "flowsim sweep: out of memory\n");
        return 2;
    }
    /* the costliest passes first: the last ones to finish are short */
    for (int i = 0; i < nsh; i++)
        order[i] = i;
    for (int i = 1; i < nsh; i++)
        for (int j = i; j > 0 && sh[order[j]].cost > sh[order[j - 1]].cost; j--) {
            int x = order[j];
            order[j] = order[j - 1];
            order[j - 1] = x;
        }
    double total_w = 0;
    for (int i = 0; i < nsh; i++)
        total_w += sh[i].cost;
    int total_pts = (int)sw->npt, done_pts = done_before, next = 0, nrun = 0;
    pid_t parent = getpid();
    double t0 = now_s(), last = 0, shown = 0;
    char host[128];
    host_name(host, sizeof host);
    for (;;) {
        while (!g_stop && nrun < jobs && next < nsh) {
            int k = order[next++];
            fflush(NULL);
            pid_t pid = fork();
            if (pid < 0) {
                fprintf(stderr, "flowsim sweep: fork: %s\n", strerror(errno));
                failures++;
                continue;
            }
            if (pid == 0) {
                signal(SIGINT, SIG_DFL);
                signal(SIGTERM, SIG_DFL);
                signal(SIGHUP, SIG_DFL);
                sigprocmask(SIG_SETMASK, &old_mask, NULL);
                prctl(PR_SET_PDEATHSIG, SIGKILL);   /* dies with the sweep, even by kill -9 */
                if (getppid() != parent)
                    _exit(2);
                int rc = run_shard(sw, &sh[k], out, 1);
                fflush(NULL);
                _exit(rc);
            }
            for (int s = 0; s < jobs; s++)
                if (!run[s].pid) {
                    run[s].pid = pid;
                    run[s].shard = k;
                    break;
                }
            nrun++;
        }
        if (!nrun)
            break;
        int st;
        pid_t pid = waitpid(-1, &st, WNOHANG);
        if (pid > 0) {
            int s = 0;
            while (s < jobs && run[s].pid != pid)
                s++;
            if (s == jobs)
                continue;
            int k = run[s].shard;
            run[s].pid = 0;
            nrun--;
            int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
            int have = 0;
            for (int i = 0; i < sh[k].n; i++)
                have += point_done(out, &sw->pt[sh[k].pts[i]]);
            frac[k] = 1;
            done_pts += have;
            if (g_stop)
                continue;
            if (!ok || have < sh[k].n) {
                char lp[4500], msg[2048];
                snprintf(lp, sizeof lp, "%s/work/%s-%d/log", out, host, (int)pid);
                last_line(lp, msg, sizeof msg);
                if (!msg[0] && WIFSIGNALED(st))
                    snprintf(msg, sizeof msg, "killed by signal %d", WTERMSIG(st));
                fprintf(stderr, "%sflowsim sweep: the pass over %s with %d points failed "
                        "(exit %d): %s (log: %s)\n", show ? "\n" : "", sw->tr[sh[k].trace].text,
                        sh[k].n, WIFEXITED(st) ? WEXITSTATUS(st) : -1,
                        msg[0] ? msg : "no message", lp);
                failures++;
                if (WIFEXITED(st) && WEXITSTATUS(st) == 1 && !status)
                    status = 1;
            }
        } else if (pid < 0 && errno != EINTR) {
            break;
        } else if (pid == 0) {
            struct timespec ts = {0, 250 * 1000 * 1000};
            sigtimedwait(&chld, NULL, &ts);
        }
        if (g_stop) {
            for (int s = 0; s < jobs; s++)
                if (run[s].pid)
                    kill(run[s].pid, SIGTERM);
        }
        double t = now_s();
        if (show && t - last >= 0.25) {
            last = t;
            double w = 0;
            for (int i = 0; i < nsh; i++)
                w += frac[i] * sh[i].cost;
            for (int s = 0; s < jobs; s++)
                if (run[s].pid)
                    w += pass_fraction(run[s].pid, &sw->tr[sh[run[s].shard].trace]) *
                         sh[run[s].shard].cost;
            shown = total_w > 0 ? w / total_w : 1;
            progress_bar(sw->name, shown, done_pts, total_pts, nrun, t - t0, NULL);
        }
    }
    if (show)
        progress_bar(sw->name, g_stop ? shown : 1, done_pts, total_pts, 0, now_s() - t0,
                     g_stop ? "stopped" : "done");
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    free(order);
    free(run);
    free(frac);
    if (g_stop) {
        fprintf(stderr, "flowsim sweep: interrupted: %d of %d points done; run the same "
                "command again to compute the rest\n", done_pts, total_pts);
        return 128 + g_stop;
    }
    if (failures)
        return status ? status : 2;
    return 0;
}

/* ---- merging: results.csv, timeseries.csv, summary.csv, manifest.json -------------------- */

typedef struct group {
    double *v;
    int     n;
    size_t  cap;
    char    est[64];   /* the estimand column of the group's rows */
} group;

static void fmt_num(double v, char *b, size_t n)
{
    if (isnan(v))
        snprintf(b, n, "nan");
    else
        snprintf(b, n, "%.12g", v);
}

/* ",point,section,trace,<parameter columns>" of point i */
static char *point_suffix(const fs_sweep *sw, int i)
{
    const sw_point *p = &sw->pt[i];
    size_t n = 64 + strlen(sw->sec[p->section].name) + strlen(sw->tr[p->trace].text);
    for (size_t c = 0; c < sw->ncol; c++)
        n += strlen(p->cols[c]) + 1;
    char *s = malloc(n);
    if (!s)
        return NULL;
    char tr[4200];
    snprintf(tr, sizeof tr, "%s", sw->tr[p->trace].text);
    csv_safe(tr);
    size_t k = (size_t)snprintf(s, n, ",%d,%s,%s", i, sw->sec[p->section].name, tr);
    for (size_t c = 0; c < sw->ncol; c++)
        k += (size_t)snprintf(s + k, n - k, ",%s", p->cols[c]);
    return s;
}

/* ",point,section,trace,<parameter columns>[,tail]" and the line's end */
static void col_header(const fs_sweep *sw, FILE *f, const char *tail)
{
    fputs(",point,section,trace", f);
    for (size_t c = 0; c < sw->ncol; c++)
        fprintf(f, ",%s", sw->colname[c]);
    if (tail)
        fprintf(f, ",%s", tail);
    fputc('\n', f);
}

static json_object *jstr(const char *s)
{
    return json_object_new_string(s ? s : "");
}

static int count_missing(const fs_sweep *sw, const char *out, int *first)
{
    int miss = 0;
    *first = -1;
    for (size_t i = 0; i < sw->npt; i++)
        if (!point_done(out, &sw->pt[i])) {
            if (*first < 0)
                *first = (int)i;
            miss++;
        }
    return miss;
}

static int collect(const fs_sweep *sw, const char *out, int argc, char **argv)
{
    int first;
    int miss = count_missing(sw, out, &first);
    if (miss) {
        fprintf(stderr, "flowsim sweep: %d of %zu points are not computed yet (the first: "
                "point %d, %s on %s); run flowsim sweep %s again (or with --slurm) to compute "
                "them\n", miss, sw->npt, first, sw->pt[first].label,
                sw->tr[sw->pt[first].trace].text, sw->path);
        return 2;
    }
    char rp[4400], tp[4400], sp[4400], mp[4400];
    snprintf(rp, sizeof rp, "%s/results.csv.tmp", out);
    snprintf(tp, sizeof tp, "%s/timeseries.csv.tmp", out);
    snprintf(sp, sizeof sp, "%s/summary.csv.tmp", out);
    snprintf(mp, sizeof mp, "%s/manifest.json.tmp", out);
    FILE *rf = fopen(rp, "w"), *sf = fopen(sp, "w");
    FILE *tf = sw->cfg.timeseries ? fopen(tp, "w") : NULL;
    int bad = !rf || !sf || (sw->cfg.timeseries && !tf);
    smap groups = {0}, tags = {0};
    group *g = NULL;
    char **gname = NULL;
    size_t ng = 0, capg = 0, capn = 0;
    char *line = NULL;
    size_t lcap = 0;
    long long nrows = 0;
    json_object *m = json_object_new_object(), *pts = json_object_new_array(),
                *mans = json_object_new_array();
    char **ptag = calloc(sw->npt ? sw->npt : 1, sizeof *ptag);
    bad |= !ptag;
    if (!bad) {
        fputs("pipeline,algorithm,params,replicate,seed,bin,aggregate,key,metric,value", rf);
        col_header(sw, rf, "estimand");
        fputs("pipeline,algorithm,params,aggregate,key,metric,n,mean,sd,ci95,ci95_lo,ci95_hi",
              sf);
        col_header(sw, sf, "estimand");
        if (tf) {
            fputs("pipeline,replicate,second,entries_mean,entries_max,export_records,"
                  "export_datagrams,export_bytes", tf);
            col_header(sw, tf, NULL);
        }
    }
    for (size_t i = 0; i < sw->npt && !bad; i++) {
        const sw_point *p = &sw->pt[i];
        char *suf = point_suffix(sw, (int)i);
        char path[4400];
        snprintf(path, sizeof path, "%s/points/%s.csv", out, p->id);
        FILE *in = fopen(path, "r");
        if (!suf || !in) {
            free(suf);
            if (in)
                fclose(in);
            bad = 1;
            break;
        }
        ssize_t len;
        while ((len = getline(&line, &lcap, in)) > 0) {
            while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
                line[--len] = 0;
            if (!strncmp(line, "# manifest ", 11)) {
                free(ptag[i]);
                ptag[i] = strdup(line + 11);
                continue;
            }
            if (len < 2 || line[1] != ',')
                continue;
            if (line[0] == 'T' && tf) {
                fprintf(tf, "p%zu,%s%s\n", i, line + 2, suf);
                continue;
            }
            if (line[0] != 'R')
                continue;
            /* a run's row: algorithm,params,replicate,seed,bin,aggregate,key,
             * metric,value,estimand (the estimand goes last, after the
             * point's columns; a point written before the column existed has
             * one comma less and an empty estimand) */
            const char *est = "";
            int commas = 0;
            for (const char *c = line + 2; *c; c++)
                commas += *c == ',';
            if (commas >= 9) {
                char *c = strrchr(line, ',');
                est = c + 1;
                *c = 0;
                len = c - line;
            }
            fprintf(rf, "p%zu,%s%s,%s\n", i, line + 2, suf, est);
            nrows++;
            /* ...,bin,aggregate,key,metric,value: the last five fields */
            char *cm[5];
            int nf = 0;
            for (char *c = line + len - 1; c > line + 2 && nf < 5; c--)
                if (*c == ',')
                    cm[nf++] = c;
            if (nf < 5 || cm[3] - cm[4] != 4 || strncmp(cm[4] + 1, "all", 3))
                continue;
            double v = strtod(cm[0] + 1, NULL);
            *cm[0] = 0;
            const char *gkey = cm[3] + 1;   /* aggregate,key,metric */
            int gi = smap_get(&groups, gkey);
            if (gi < 0) {
                void *a = grow(g, &capg, ng + 1, sizeof *g);
                if (a)
                    g = a;
                void *b = grow(gname, &capn, ng + 1, sizeof *gname);
                if (b)
                    gname = b;
                if (!a || !b || smap_put(&groups, gkey, (int)ng)) {
                    bad = 1;
                    break;
                }
                memset(&g[ng], 0, sizeof g[ng]);
                snprintf(g[ng].est, sizeof g[ng].est, "%s", est);
                gname[ng] = strdup(gkey);
                gi = (int)ng++;
            }
            void *a = grow(g[gi].v, &g[gi].cap, (size_t)g[gi].n + 1, sizeof *g[gi].v);
            if (!a) {
                bad = 1;
                break;
            }
            g[gi].v = a;
            g[gi].v[g[gi].n++] = v;
        }
        bad |= ferror(in);
        fclose(in);
        for (size_t j = 0; j < ng; j++) {
            double mean, sd, ci;
            int k = fs_sweep_stats(g[j].v, g[j].n, &mean, &sd, &ci);
            char a[4][40];
            fmt_num(mean, a[0], sizeof a[0]);
            fmt_num(sd, a[1], sizeof a[1]);
            fmt_num(ci, a[2], sizeof a[2]);
            fprintf(sf, "p%zu,%s,%s,%s,%d,%s,%s,%s,", i, p->algo, p->params,
                    gname[j] ? gname[j] : "", k, a[0], a[1], a[2]);
            fmt_num(mean - ci, a[3], sizeof a[3]);
            fputs(a[3], sf);
            fmt_num(mean + ci, a[3], sizeof a[3]);
            fprintf(sf, ",%s%s,%s\n", a[3], suf, g[j].est);
            free(g[j].v);
            free(gname[j]);
        }
        ng = 0;
        smap_free(&groups);
        free(suf);
        /* the point in the manifest */
        json_object *o = json_object_new_object();
        json_object_object_add(o, "point", json_object_new_int((int)i));
        json_object_object_add(o, "id", jstr(p->id));
        json_object_object_add(o, "section", jstr(sw->sec[p->section].name));
        json_object_object_add(o, "trace", jstr(sw->tr[p->trace].text));
        json_object_object_add(o, "algorithm", jstr(p->algo));
        json_object_object_add(o, "spec", jstr(p->label));
        json_object_object_add(o, "params", jstr(p->params));
        json_object_object_add(o, "mem_estimate_bytes", json_object_new_double(p->mem));
        char mf[128];
        snprintf(mf, sizeof mf, "manifests/%s.json", ptag[i] ? ptag[i] : "unknown");
        json_object_object_add(o, "manifest", jstr(mf));
        json_object_array_add(pts, o);
        if (ptag[i] && smap_get(&tags, ptag[i]) < 0) {
            smap_put(&tags, ptag[i], 1);
            json_object_array_add(mans, jstr(mf));
        }
    }
    free(g);
    free(gname);
    free(line);
    smap_free(&groups);
    if (rf)
        bad |= fclose(rf) != 0;
    if (sf)
        bad |= fclose(sf) != 0;
    if (tf)
        bad |= fclose(tf) != 0;
    /* the sweep's manifest: what was run, from which file, and where every
     * point's pass manifest is (versions, trace hashes, seeds) */
    json_object_object_add(m, "tool", jstr("flowsim"));
    json_object_object_add(m, "version", jstr(FS_VERSION));
    const char *commit = "unknown";
    json_object *traces = json_object_new_array();
    json_object *first_man = NULL;
    for (size_t t = 0; t < sw->ntr; t++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "path", jstr(sw->tr[t].text));
        json_object_object_add(o, "opened", jstr(sw->tr[t].path));
        json_object_object_add(o, "size_bytes", json_object_new_int64((int64_t)sw->tr[t].size));
        const char *sha = NULL;
        json_object *man = NULL;
        for (size_t i = 0; i < sw->npt && !sha; i++) {
            if (sw->pt[i].trace != (int)t || !ptag[i])
                continue;
            char mf[4400];
            snprintf(mf, sizeof mf, "%s/manifests/%s.json", out, ptag[i]);
            man = json_object_from_file(mf);
            json_object *a, *e, *s;
            if (man && json_object_object_get_ex(man, "traces", &a) &&
                json_object_array_length(a) > 0 && (e = json_object_array_get_idx(a, 0)) &&
                json_object_object_get_ex(e, "sha256", &s))
                sha = json_object_get_string(s);
            if (!sha) {
                json_object_put(man);
                man = NULL;
            }
        }
        json_object_object_add(o, "sha256", sha ? jstr(sha) : NULL);
        json_object_array_add(traces, o);
        if (man && !first_man)
            first_man = man;
        else if (man)
            json_object_put(man);
    }
    json_object *gc;
    if (first_man && json_object_object_get_ex(first_man, "git_commit", &gc))
        commit = json_object_get_string(gc);
    json_object_object_add(m, "git_commit", jstr(commit));
    json_object *cl = json_object_new_array();
    for (int i = 0; i < argc; i++)
        json_object_array_add(cl, jstr(argv[i]));
    json_object_object_add(m, "command_line", cl);
    json_object *so = json_object_new_object();
    char sha[65] = "";
    json_object_object_add(so, "name", jstr(sw->name));
    json_object_object_add(so, "description", jstr(sw->description));
    json_object_object_add(so, "file", jstr(sw->path));
    json_object_object_add(so, "sha256", file_sha256(sw->path, sha) ? NULL : jstr(sha));
    json_object_object_add(m, "sweep", so);
    json_object *ro = json_object_new_object();
    for (size_t i = 0; i < fs_run_nparams; i++) {
        const fs_param_def *d = &fs_run_params_def[i];
        if (!sweep_wide(d))
            continue;
        char v[1024];
        fs_param_format(d, &sw->cfg, v, sizeof v);
        json_object_object_add(ro, d->name, jstr(v));
    }
    json_object_object_add(m, "run", ro);
    json_object_object_add(m, "rng", jstr(FS_RNG_RULE));
    json_object *cols = json_object_new_array();
    for (size_t c = 0; c < sw->ncol; c++)
        json_object_array_add(cols, jstr(sw->colname[c]));
    json_object_object_add(m, "parameter_columns", cols);
    json_object_object_add(m, "traces", traces);
    json_object_object_add(m, "points", pts);
    json_object_object_add(m, "pass_manifests", mans);
    json_object_object_add(m, "status", jstr(bad ? "incomplete" : "complete"));
    bad |= fs_json_utf8(m) < 0;   /* valid UTF-8 whatever the names (jsonutf8.h) */
    bad |= json_object_to_file_ext(mp, m, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED) != 0;
    json_object_put(m);
    json_object_put(first_man);
    smap_free(&tags);
    for (size_t i = 0; i < sw->npt && ptag; i++)
        free(ptag[i]);
    free(ptag);
    const char *names[] = {"results.csv", "summary.csv", "manifest.json", "timeseries.csv"};
    const char *tmps[] = {rp, sp, mp, tp};
    for (int i = 0; i < 4 && !bad; i++) {
        if (i == 3 && !sw->cfg.timeseries) {
            char stale[4400];   /* from an earlier run with time series */
            snprintf(stale, sizeof stale, "%s/timeseries.csv", out);
            remove(stale);
            break;
        }
        char to[4400];
        snprintf(to, sizeof to, "%s/%s", out, names[i]);
        bad |= rename(tmps[i], to) != 0;
    }
    if (bad) {
        for (int i = 0; i < 4; i++)
            remove(tmps[i]);
        fprintf(stderr, "flowsim sweep: %s: cannot write the merged tables: %s\n", out,
                strerror(errno ? errno : EIO));
        return 2;
    }
    printf("flowsim sweep %s: %zu points, %lld rows: %s/results.csv, summary.csv%s, "
           "manifest.json\n", sw->name, sw->npt, nrows, out,
           sw->cfg.timeseries ? ", timeseries.csv" : "");
    return 0;
}

/* ---- Slurm: a job array, one task per shard ---------------------------------------------- */

static void shell_quote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++)
        if (*s == '\'')
            fputs("'\\''", f);
        else
            fputc(*s, f);
    fputc('\'', f);
}

/* Runs argv, returns its exit status (127: could not run it) and its
 * standard output in buf. */
static int run_capture(char *const argv[], char *buf, size_t n)
{
    int pfd[2];
    buf[0] = 0;
    if (pipe(pfd))
        return 127;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(pfd[0]);
        close(pfd[1]);
        return 127;
    }
    if (pid == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        close(pfd[1]);
        execvp(argv[0], argv);
        fprintf(stderr, "flowsim sweep: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(pfd[1]);
    size_t k = 0;
    ssize_t r;
    char tmp[4096];
    while ((r = read(pfd[0], tmp, sizeof tmp)) != 0) {
        if (r < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (ssize_t i = 0; i < r && k + 1 < n; i++)
            buf[k++] = tmp[i];
    }
    buf[k] = 0;
    close(pfd[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return 127;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int slurm_submit(const fs_sweep *sw, const char *out, const shard *sh, int nsh,
                        int wait, const char *sweep_abs, const char *user_file)
{
    char self[PATH_MAX];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    if (sl <= 0) {
        fprintf(stderr, "flowsim sweep: cannot find the flowsim binary (/proc/self/exe)\n");
        return 2;
    }
    self[sl] = 0;
    char tag[64], dir[4400], plan[4500], job[4500];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    size_t tl = strftime(tag, sizeof tag, "%Y%m%d-%H%M%S", &tm);
    snprintf(tag + tl, sizeof tag - tl, "-%d", (int)getpid());
    snprintf(dir, sizeof dir, "%s/slurm/%s", out, tag);
    snprintf(plan, sizeof plan, "%s/plan.txt", dir);
    snprintf(job, sizeof job, "%s/job.sh", dir);
    if (mkdir_p(dir)) {
        fprintf(stderr, "flowsim sweep: %s: cannot create: %s\n", dir, strerror(errno));
        return 2;
    }
    FILE *f = fopen(plan, "w");
    if (!f) {
        fprintf(stderr, "flowsim sweep: %s: cannot write: %s\n", plan, strerror(errno));
        return 2;
    }
    fprintf(f, "# flowsim sweep %s: one line per Slurm task: TASK POINT_ID...\n", sw->name);
    for (int k = 0; k < nsh; k++) {
        fprintf(f, "%d", k);
        for (int i = 0; i < sh[k].n; i++)
            fprintf(f, " %s", sw->pt[sh[k].pts[i]].id);
        fputc('\n', f);
    }
    int bad = fclose(f) != 0;
    f = fopen(job, "w");
    if (bad || !f) {
        fprintf(stderr, "flowsim sweep: %s: cannot write: %s\n", job, strerror(errno));
        if (f)
            fclose(f);
        return 2;
    }
    fprintf(f, "#!/bin/sh\n# flowsim sweep %s: %d passes, one task each (flowsim sweep --slurm)\n",
            sw->name, nsh);
    fprintf(f, "#SBATCH --job-name=flowsim-%s\n", sw->name);
    if (sw->max_running)
        fprintf(f, "#SBATCH --array=0-%d%%%llu\n", nsh - 1, (unsigned long long)sw->max_running);
    else
        fprintf(f, "#SBATCH --array=0-%d\n", nsh - 1);
    fprintf(f, "#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n");
    fprintf(f, "#SBATCH --output=%s/task-%%a.log\n", dir);
    if (sw->sbatch_options) {
        char *o = strdup(sw->sbatch_options);
        for (char *t = o ? strtok(o, " \t") : NULL; t; t = strtok(NULL, " \t"))
            fprintf(f, "#SBATCH %s\n", t);
        free(o);
    }
    fputs("exec ", f);
    shell_quote(f, self);
    fputs(" sweep ", f);
    shell_quote(f, sweep_abs);
    fputs(" --out ", f);
    shell_quote(f, out);
    fputs(" --plan ", f);
    shell_quote(f, plan);
    fputs(" --shard \"$SLURM_ARRAY_TASK_ID\"\n", f);
    bad = fclose(f) != 0;
    chmod(job, 0755);
    if (bad) {
        fprintf(stderr, "flowsim sweep: %s: cannot write\n", job);
        return 2;
    }
    char outbuf[4096];
    char *args[] = {"sbatch", "--parsable", wait ? "--wait" : job, wait ? job : NULL, NULL};
    int rc = run_capture(args, outbuf, sizeof outbuf);
    char *jid = trim(outbuf);
    char *semi = strchr(jid, ';');   /* "jobid;cluster" */
    if (semi)
        *semi = 0;
    if (rc == 127 || (!wait && rc) || !*jid) {
        fprintf(stderr, "flowsim sweep: sbatch %s failed (exit %d%s); the job script is %s\n",
                job, rc, rc == 127 ? ": is Slurm installed and SLURM_CONF set?" : "", job);
        return 2;
    }
    snprintf(plan, sizeof plan, "%s/jobid", dir);
    if ((f = fopen(plan, "w"))) {
        fprintf(f, "%s\n", jid);
        fclose(f);
    }
    printf("flowsim sweep %s: submitted Slurm job array %s: %d tasks (script, plan and logs in "
           "%s)\n", sw->name, jid, nsh, dir);
    if (!wait)
        printf("when it has finished: flowsim sweep %s --collect --out %s\n", user_file, out);
    fflush(stdout);
    return 0;
}

/* One task of a job array: the points of line K of the plan not yet done. */
static int run_task(const fs_sweep *sw, const char *out, const char *plan, long k)
{
    FILE *f = fopen(plan, "r");
    if (!f) {
        fprintf(stderr, "flowsim sweep: %s: cannot read: %s\n", plan, strerror(errno));
        return 2;
    }
    smap ids = {0};
    for (size_t i = 0; i < sw->npt; i++)
        if (smap_put(&ids, sw->pt[i].id, (int)i)) {
            fclose(f);
            smap_free(&ids);
            return 2;
        }
    char *line = NULL;
    size_t cap = 0;
    shard s = {.trace = -1};
    int found = 0, status = 0;
    while (!found && getline(&line, &cap, f) > 0) {
        char *e;
        if (line[0] == '#' || strtol(line, &e, 10) != k || e == line)
            continue;
        found = 1;
        for (char *t = strtok(e, " \t\n"); t; t = strtok(NULL, " \t\n")) {
            int p = smap_get(&ids, t);
            if (p < 0) {
                fprintf(stderr, "flowsim sweep: task %ld: point %s of %s is not in %s (was the "
                        "sweep file changed after submitting?)\n", k, t, plan, sw->path);
                status = 1;
                break;
            }
            if (s.trace >= 0 && sw->pt[p].trace != s.trace) {
                fprintf(stderr, "flowsim sweep: task %ld: %s mixes traces\n", k, plan);
                status = 1;
                break;
            }
            s.trace = sw->pt[p].trace;
            if (point_done(out, &sw->pt[p]))
                continue;
            void *np = grow(s.pts, &s.cap, (size_t)s.n + 1, sizeof *s.pts);
            if (!np) {
                status = 2;
                break;
            }
            s.pts = np;
            s.pts[s.n++] = p;
        }
    }
    free(line);
    fclose(f);
    smap_free(&ids);
    if (!found && !status) {
        fprintf(stderr, "flowsim sweep: %s has no task %ld\n", plan, k);
        status = 1;
    }
    if (!status && s.n) {
        shard_tag(sw, &s);
        status = run_shard(sw, &s, out, 0);
        for (int i = 0; i < s.n && !status; i++)
            if (!point_done(out, &sw->pt[s.pts[i]]))
                status = 2;
    }
    if (!status)
        printf("flowsim sweep %s: task %ld: %d points computed\n", sw->name, k, s.n);
    free(s.pts);
    return status;
}

/* ---- the command ------------------------------------------------------------------------- */

static void sweep_usage(FILE *f)
{
    fprintf(f,
        "usage: flowsim sweep FILE [-j N] [--out DIR] [--mem-limit BYTES] [--progress WHEN]\n"
        "       flowsim sweep FILE --slurm [--wait] [-j N] [--out DIR] [--mem-limit BYTES]\n"
        "       flowsim sweep FILE --collect [--out DIR]\n"
        "       flowsim sweep FILE --dry-run [-j N] [--slurm] [--mem-limit BYTES]\n"
        "\n"
        "Runs every point of the parameter grid declared in FILE (an INI file: [sweep] with\n"
        "traces, replicates, seed, bin; one section per group of pipelines with algorithm and\n"
        "parameter lists or ranges such as rate = 1/10 .. 1/1000 log 7; docs/sweep.md). A point\n"
        "is one pipeline over one trace. All the points over one trace share one pass over it\n"
        "(one flowsim run), split into several passes only to stay within the memory limit and\n"
        "to keep -j cores busy. Every replicate's seed follows from the seed, the pipeline's\n"
        "parameters and the replicate number, so a point's results never depend on how the\n"
        "points were split.\n"
        "\n"
        "Options:\n"
        "  -j, --jobs N        passes run at once on this machine (default: the number of\n"
        "                      cores); with --slurm, the least number of tasks (default 1)\n"
        "  --out DIR           output directory (default results/NAME, NAME from [sweep] name\n"
        "                      or the file name)\n"
        "  --mem-limit BYTES   memory the sweep may use (4G, 512Mi; default 80%% of RAM). A pass\n"
        "                      is estimated at 64 MiB plus, per point, replicates x (2 x entries\n"
        "                      x entry_bytes + 1 MiB), where entries=inf counts as 256Ki; points\n"
        "                      are packed so that -j passes at once fit (with --slurm: each task)\n"
        "  --progress WHEN     progress bar with ETA on stderr: yes, no, auto (a terminal)\n"
        "  --slurm             write a job array script (one task per pass) into DIR/slurm/ and\n"
        "                      submit it with sbatch; --wait waits for it and merges\n"
        "  --collect           merge the finished points (after --slurm)\n"
        "  --dry-run           print the points and the passes, run nothing\n"
        "  --plan FILE --shard K   run task K of a submitted plan (what the Slurm tasks run)\n"
        "\n"
        "A sweep stopped at any moment (Ctrl-C, kill -9) continues where it stopped when run\n"
        "again: every point is written whole (write, then rename) to DIR/points/ as soon as its\n"
        "pass ends, and only the missing points are computed. When every point is done, it\n"
        "writes into DIR:\n"
        "  results.csv     the rows of flowsim run (pipeline is pPOINT), then point, section,\n"
        "                  trace and one column per parameter named in FILE (numbers: durations\n"
        "                  in seconds, probabilities as decimals), and last the run's estimand\n"
        "                  column (flowsim metrics)\n"
        "  summary.csv     per point, aggregate, key and metric of bin all: n, mean, sd, ci95\n"
        "                  (half-width of the 95%% confidence interval, Student t), ci95_lo/hi,\n"
        "                  then point, section, trace, the parameter columns and estimand\n"
        "  timeseries.csv  the per-second series of replicate 0, with the same columns\n"
        "  manifest.json   the sweep; manifests/ holds the manifest of every pass\n"
        "  points.csv      the grid; sweep.ini a copy of FILE\n"
        "Exit status: 0 done, 1 bad sweep file or options, 2 a pass failed or points are\n"
        "missing (input/output, Slurm), 130 interrupted.\n");
}

static int write_points_csv(const fs_sweep *sw, const char *out)
{
    char tmp[4400], path[4400];
    snprintf(tmp, sizeof tmp, "%s/points.csv.tmp.%d", out, (int)getpid());
    snprintf(path, sizeof path, "%s/points.csv", out);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    fputs("point,id,section,trace,algorithm,params,mem_estimate_bytes", f);
    for (size_t c = 0; c < sw->ncol; c++)
        fprintf(f, ",%s", sw->colname[c]);
    fputc('\n', f);
    for (size_t i = 0; i < sw->npt; i++) {
        const sw_point *p = &sw->pt[i];
        char tr[4200];
        snprintf(tr, sizeof tr, "%s", sw->tr[p->trace].text);
        csv_safe(tr);
        fprintf(f, "%zu,%s,%s,%s,%s,%s,%.0f", i, p->id, sw->sec[p->section].name, tr, p->algo,
                p->params, p->mem);
        for (size_t c = 0; c < sw->ncol; c++)
            fprintf(f, ",%s", p->cols[c]);
        fputc('\n', f);
    }
    if (fclose(f) || rename(tmp, path)) {
        remove(tmp);
        return -1;
    }
    return 0;
}

/* Removes the work directories of passes of this host that are not running
 * any more (a sweep killed with kill -9 leaves them). */
static void clean_work(const char *out)
{
    char wd[4400], host[128];
    snprintf(wd, sizeof wd, "%s/work", out);
    host_name(host, sizeof host);
    DIR *d = opendir(wd);
    if (!d)
        return;
    struct dirent *e;
    size_t hl = strlen(host);
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, host, hl) || e->d_name[hl] != '-')
            continue;
        long pid = strtol(e->d_name + hl + 1, NULL, 10);
        if (pid > 0 && kill((pid_t)pid, 0) && errno == ESRCH) {
            char p[4800];
            snprintf(p, sizeof p, "%s/%s", wd, e->d_name);
            rm_rf(p);
        }
    }
    closedir(d);
}

static int lock_out(const char *out)
{
    char p[4400];
    snprintf(p, sizeof p, "%s/.lock", out);
    int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB)) {
        fprintf(stderr, "flowsim sweep: %s: %s\n", out, fd < 0 ? strerror(errno) :
                "another flowsim sweep is running in this directory");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;   /* held until the process ends */
}

int fs_sweep_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"jobs", required_argument, NULL, 'j'}, {"slurm", no_argument, NULL, 1001},
        {"collect", no_argument, NULL, 1002},   {"out", required_argument, NULL, 1003},
        {"mem-limit", required_argument, NULL, 1004},
        {"progress", required_argument, NULL, 1005},
        {"shard", required_argument, NULL, 1006}, {"plan", required_argument, NULL, 1007},
        {"wait", no_argument, NULL, 1008},       {"dry-run", no_argument, NULL, 1009},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
    const char *file = NULL, *out_opt = NULL, *plan = NULL;
    long jobs = 0, shard_k = -1;
    int slurm = 0, collect_only = 0, progress = 2, wait = 0, dry = 0;
    double mem_limit = 0;
    optind = 1;
    opterr = 0;
    int c;
    char *e;
    while ((c = getopt_long(argc, argv, "-j:h", opts, NULL)) != -1) {
        switch (c) {
        case 1:
            if (file) {
                fprintf(stderr, "flowsim sweep: one sweep file at a time ('%s', '%s')\n", file,
                        optarg);
                return 1;
            }
            file = optarg;
            break;
        case 'j':
            jobs = strtol(optarg, &e, 10);
            if (*e || jobs < 1 || jobs > 4096) {
                fprintf(stderr, "flowsim sweep: -j '%s': expected a number of jobs >= 1\n",
                        optarg);
                return 1;
            }
            break;
        case 1001: slurm = 1; break;
        case 1002: collect_only = 1; break;
        case 1003: out_opt = optarg; break;
        case 1004: {
            uint64_t v;
            if (fs_parse_count(optarg, &v) || v < 1048576) {
                fprintf(stderr, "flowsim sweep: --mem-limit '%s': expected bytes, at least 1Mi "
                        "(e.g. 4G, 512Mi)\n", optarg);
                return 1;
            }
            mem_limit = (double)v;
            break;
        }
        case 1005:
            progress = !strcmp(optarg, "yes") ? 1 : !strcmp(optarg, "no") ? 0 :
                       !strcmp(optarg, "auto") ? 2 : -1;
            if (progress < 0) {
                fprintf(stderr, "flowsim sweep: --progress '%s': expected yes, no or auto\n",
                        optarg);
                return 1;
            }
            break;
        case 1006:
            shard_k = strtol(optarg, &e, 10);
            if (*e || shard_k < 0) {
                fprintf(stderr, "flowsim sweep: --shard '%s': expected a task number\n", optarg);
                return 1;
            }
            break;
        case 1007: plan = optarg; break;
        case 1008: wait = 1; break;
        case 1009: dry = 1; break;
        case 'h':
            sweep_usage(stdout);
            return 0;
        default:
            fprintf(stderr, "flowsim sweep: bad option '%s' (missing value or unknown; see "
                    "flowsim sweep --help)\n", argv[optind - 1]);
            return 1;
        }
    }
    if (!file) {
        fprintf(stderr, "flowsim sweep: no sweep file (flowsim sweep FILE; docs/sweep.md)\n");
        return 1;
    }
    if ((shard_k >= 0) != (plan != NULL)) {
        fprintf(stderr, "flowsim sweep: --shard and --plan go together\n");
        return 1;
    }
    if (wait && !slurm) {
        fprintf(stderr, "flowsim sweep: --wait goes with --slurm\n");
        return 1;
    }
    char err[2048];
    fs_sweep *sw = fs_sweep_load(file, err, sizeof err);
    if (!sw) {
        fprintf(stderr, "flowsim sweep: %s\n", err);
        return 1;
    }
    char outbuf[4096];
    if (out_opt)
        snprintf(outbuf, sizeof outbuf, "%s", out_opt);
    else
        snprintf(outbuf, sizeof outbuf, "results/%s", sw->name);
    size_t ol = strlen(outbuf);
    while (ol > 1 && outbuf[ol - 1] == '/')
        outbuf[--ol] = 0;
    const char *out = outbuf;
    int status = 0, lockfd = -1;
    shard *sh = NULL;
    int nsh = 0;
    int *miss = NULL;
    if (shard_k >= 0) {
        char sub[4400];
        const char *dirs[] = {"points", "manifests", "work"};
        for (int i = 0; i < 3; i++) {
            snprintf(sub, sizeof sub, "%s/%s", out, dirs[i]);
            if (mkdir_p(sub)) {
                fprintf(stderr, "flowsim sweep: %s: cannot create: %s\n", sub, strerror(errno));
                status = 2;
                goto done;
            }
        }
        open_files_runs();
        status = run_task(sw, out, plan, shard_k);
        goto done;
    }
    if (!dry) {
        char sub[4400];
        const char *dirs[] = {"points", "manifests", "work"};
        for (int i = 0; i < 3; i++) {
            snprintf(sub, sizeof sub, "%s/%s", out, dirs[i]);
            if (mkdir_p(sub)) {
                fprintf(stderr, "flowsim sweep: %s: cannot create: %s\n", sub, strerror(errno));
                status = 2;
                goto done;
            }
        }
        if ((lockfd = lock_out(out)) < 0) {
            status = 2;
            goto done;
        }
        clean_work(out);
        snprintf(sub, sizeof sub, "%s/sweep.ini", out);
        if (write_points_csv(sw, out) || copy_file(file, sub)) {
            fprintf(stderr, "flowsim sweep: %s: cannot write: %s\n", out, strerror(errno));
            status = 2;
            goto done;
        }
    }
    if (collect_only) {
        status = collect(sw, out, argc, argv);
        goto done;
    }
    miss = malloc((sw->npt ? sw->npt : 1) * sizeof *miss);
    if (!miss) {
        status = 2;
        goto done;
    }
    int nmiss = 0;
    for (size_t i = 0; i < sw->npt; i++)
        if (!point_done(out, &sw->pt[i]))
            miss[nmiss++] = (int)i;
    if (!jobs) {
        long nc = sysconf(_SC_NPROCESSORS_ONLN);
        jobs = slurm ? 1 : nc > 0 ? nc : 1;
    }
    if (!mem_limit) {
        long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
        mem_limit = pages > 0 && psz > 0 ? 0.8 * (double)pages * (double)psz : 4.0 * 1073741824;
    }
    double budget = slurm ? mem_limit : mem_limit / (double)jobs;
    if (plan_shards(sw, miss, nmiss, budget, (int)jobs, open_files_runs(), &sh, &nsh)) {
        fprintf(stderr, "flowsim sweep: out of memory\n");
        status = 2;
        goto done;
    }
    int over = 0, first_over = -1;
    for (int k = 0; k < nsh; k++)
        if (sh[k].mem > budget && over++ == 0)
            first_over = k;
    if (over)
        fprintf(stderr, "flowsim sweep: warning: %d pass%s of a single point exceed%s the %.0f "
                "MiB a pass may use (--mem-limit%s), e.g. point %d (%s) at %.0f MiB\n", over,
                over > 1 ? "es" : "", over > 1 ? "" : "s", budget / 1048576,
                slurm ? "" : " / -j", sh[first_over].pts[0],
                sw->pt[sh[first_over].pts[0]].label, sh[first_over].mem / 1048576);
    if (dry) {
        printf("sweep %s: %zu points (%d to compute), %zu traces, %d passes; output %s\n",
               sw->name, sw->npt, nmiss, sw->ntr, nsh, out);
        printf("point,id,section,trace,spec\n");
        for (size_t i = 0; i < sw->npt; i++)
            printf("%zu,%s,%s,%s,%s\n", i, sw->pt[i].id, sw->sec[sw->pt[i].section].name,
                   sw->tr[sw->pt[i].trace].text, sw->pt[i].label);
        for (int k = 0; k < nsh; k++) {
            printf("pass %d: %s, %d points, ~%.0f MiB:", k, sw->tr[sh[k].trace].text, sh[k].n,
                   sh[k].mem / 1048576);
            for (int i = 0; i < sh[k].n; i++)
                printf(" %d", sh[k].pts[i]);
            printf("\n");
        }
        goto done;
    }
    if (!nmiss) {
        printf("flowsim sweep %s: all %zu points already computed\n", sw->name, sw->npt);
    } else if (slurm) {
        char abs_file[PATH_MAX], abs_out[PATH_MAX];
        if (!realpath(file, abs_file) || !realpath(out, abs_out)) {
            fprintf(stderr, "flowsim sweep: %s: %s\n", file, strerror(errno));
            status = 2;
            goto done;
        }
        status = slurm_submit(sw, abs_out, sh, nsh, wait, abs_file, file);
        if (status || !wait)
            goto done;
    } else {
        printf("flowsim sweep %s: %zu points (%zu done before), %d passes over %zu traces, "
               "-j %ld -> %s\n", sw->name, sw->npt, sw->npt - (size_t)nmiss, nsh, sw->ntr,
               jobs, out);
        fflush(stdout);
        int show = progress == 1 || (progress == 2 && isatty(2));
        status = run_local(sw, out, sh, nsh, (int)jobs, show, (int)sw->npt - nmiss);
        clean_work(out);
        if (status)
            goto done;
    }
    status = collect(sw, out, argc, argv);
done:
    free(miss);
    free_shards(sh, nsh);
    fs_sweep_free(sw);
    if (lockfd >= 0)
        close(lockfd);
    return status;
}
