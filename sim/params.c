/* flowsim — typed parameters: parsing, checking and canonical formatting.
 * See params.h for the value syntax. Copyright (C) 2026 the flowsim
 * authors. GPL-3.0-or-later. */
#include "params.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- low-level parsers ---------------------------------------------------- */

/* strtod that rejects empty input, NaN, infinities and leading space. */
static int parse_number(const char *s, double *v, const char **end)
{
    if (!s || !*s || *s == ' ' || *s == '\t')
        return -1;
    char *e;
    errno = 0;
    double x = strtod(s, &e);
    if (e == s || errno == ERANGE || isnan(x) || isinf(x))
        return -1;
    /* strtod accepts "inf", "nan" and hex floats; we only want decimals. */
    for (const char *c = s; c < e; c++)
        if (!strchr("0123456789.+-eE", *c))
            return -1;
    *v = x;
    *end = e;
    return 0;
}

int fs_parse_duration(const char *s, fs_ns *out, int inf_ok)
{
    if (inf_ok && (!strcmp(s, "inf") || !strcmp(s, "off"))) {
        *out = FS_NS_INF;
        return 0;
    }
    double v;
    const char *e;
    if (parse_number(s, &v, &e))
        return -1;
    static const struct { const char *suf; double ns; } units[] = {
        {"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9},
        {"min", 60e9}, {"h", 3600e9}, {"d", 86400e9}, {"", 1e9},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (!strcmp(e, units[i].suf)) {
            double ns = v * units[i].ns;
            if (!(fabs(ns) < 9.2e18))
                return -1;
            *out = (fs_ns)llround(ns);
            return 0;
        }
    }
    return -1;
}

/* Multiplier for count/real suffixes. SI (k, M, G) are powers of ten;
 * IEC (Ki, Mi, Gi) are powers of two. */
static int suffix_mult(const char *e, double *m)
{
    static const struct { const char *suf; double m; } sfx[] = {
        {"", 1}, {"k", 1e3}, {"M", 1e6}, {"G", 1e9},
        {"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0},
    };
    for (size_t i = 0; i < sizeof sfx / sizeof sfx[0]; i++)
        if (!strcmp(e, sfx[i].suf)) {
            *m = sfx[i].m;
            return 0;
        }
    return -1;
}

int fs_parse_count(const char *s, uint64_t *out)
{
    /* Plain digits are read exactly, up to 2^64 - 1 (seeds use all 64
     * bits; a double holds integers exactly only up to 2^53). */
    if (s && *s >= '0' && *s <= '9' && s[strspn(s, "0123456789")] == 0) {
        char *e;
        errno = 0;
        unsigned long long x = strtoull(s, &e, 10);
        if (errno == ERANGE)
            return -1;
        *out = (uint64_t)x;
        return 0;
    }
    double v, m;
    const char *e;
    if (parse_number(s, &v, &e) || suffix_mult(e, &m))
        return -1;
    v *= m;
    if (v < 0 || v > 1.8e19 || v != floor(v))
        return -1;
    *out = (uint64_t)v;
    return 0;
}

int fs_parse_real(const char *s, double *out)
{
    double v, m;
    const char *e;
    if (parse_number(s, &v, &e) || suffix_mult(e, &m))
        return -1;
    *out = v * m;
    return 0;
}

int fs_parse_prob(const char *s, double *out)
{
    const char *slash = strchr(s, '/');
    double v;
    const char *e;
    if (slash) {
        char num[64];
        size_t n = (size_t)(slash - s);
        if (n == 0 || n >= sizeof num)
            return -1;
        memcpy(num, s, n);
        num[n] = 0;
        double a, b;
        if (parse_number(num, &a, &e) || *e || parse_number(slash + 1, &b, &e) || *e)
            return -1;
        if (b == 0)
            return -1;
        v = a / b;
    } else {
        if (parse_number(s, &v, &e))
            return -1;
        if (!strcmp(e, "%"))
            v /= 100;
        else if (*e)
            return -1;
    }
    /* a subnormal result (3e-308/1000) would print as a decimal that no
     * longer parses: no probability is that small */
    if (v != 0 && fabs(v) < DBL_MIN)
        return -1;
    *out = v;
    return 0;
}

int fs_parse_bool(const char *s, int *out)
{
    static const char *const t[] = {"yes", "true", "on", "1"};
    static const char *const f[] = {"no", "false", "off", "0"};
    for (int i = 0; i < 4; i++) {
        if (!strcmp(s, t[i])) { *out = 1; return 0; }
        if (!strcmp(s, f[i])) { *out = 0; return 0; }
    }
    return -1;
}

/* ---- formatting ------------------------------------------------------------ */

void fs_format_duration(fs_ns ns, char *buf, size_t len)
{
    if (ns == FS_NS_INF) {
        snprintf(buf, len, "inf");
        return;
    }
    static const struct { const char *suf; int64_t ns; } units[] = {
        {"d", 86400 * FS_NS_PER_S}, {"h", 3600 * FS_NS_PER_S}, {"m", 60 * FS_NS_PER_S},
        {"s", FS_NS_PER_S}, {"ms", FS_NS_PER_MS}, {"us", FS_NS_PER_US},
    };
    if (ns == 0) {
        snprintf(buf, len, "0s");
        return;
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (ns % units[i].ns == 0) {
            snprintf(buf, len, "%lld%s", (long long)(ns / units[i].ns), units[i].suf);
            return;
        }
    snprintf(buf, len, "%lldns", (long long)ns);
}

void fs_format_prob(double p, char *buf, size_t len)
{
    if (p == 1.0) {
        snprintf(buf, len, "1");
        return;
    }
    if (p > 0) {
        double inv = 1.0 / p, r = nearbyint(inv);
        if (r >= 2 && r < 1e15 && fabs(inv - r) <= 1e-9 * r) {
            snprintf(buf, len, "1/%.0f", r);
            return;
        }
    }
    snprintf(buf, len, "%.17g", p);
}

void fs_format_count(uint64_t v, char *buf, size_t len)
{
    snprintf(buf, len, "%llu", (unsigned long long)v);
}

void fs_param_format(const fs_param_def *d, const void *params, char *buf, size_t len)
{
    const char *base = (const char *)params + d->offset;
    switch (d->type) {
    case FS_P_DURATION: {
        fs_ns v;
        memcpy(&v, base, sizeof v);
        fs_format_duration(v, buf, len);
        break;
    }
    case FS_P_COUNT:
    case FS_P_BYTES: {
        uint64_t v;
        memcpy(&v, base, sizeof v);
        if (v == UINT64_MAX && (d->flags & FS_PF_INF_OK))
            snprintf(buf, len, "inf");
        else
            fs_format_count(v, buf, len);
        break;
    }
    case FS_P_PROB: {
        double v;
        memcpy(&v, base, sizeof v);
        fs_format_prob(v, buf, len);
        break;
    }
    case FS_P_REAL: {
        double v;
        memcpy(&v, base, sizeof v);
        if (isinf(v) && v > 0)
            snprintf(buf, len, "inf");
        else
            snprintf(buf, len, "%.17g", v);
        break;
    }
    case FS_P_ENUM: {
        int v;
        memcpy(&v, base, sizeof v);
        snprintf(buf, len, "%s", d->choices[v]);
        break;
    }
    case FS_P_BOOL: {
        int v;
        memcpy(&v, base, sizeof v);
        snprintf(buf, len, "%s", v ? "yes" : "no");
        break;
    }
    case FS_P_STRING: {
        const char *v;
        memcpy(&v, base, sizeof v);
        snprintf(buf, len, "%s", v ? v : "");
        break;
    }
    }
}

void fs_param_describe_range(const fs_param_def *d, char *buf, size_t len)
{
    const char *lo = (d->flags & FS_PF_MIN_EXCL) ? ">" : ">=";
    const char *hi = (d->flags & FS_PF_MAX_EXCL) ? "<" : "<=";
    char zero[32] = "";
    if (d->flags & FS_PF_ZERO_OK)
        snprintf(zero, sizeof zero, "0 (off) or ");
    switch (d->type) {
    case FS_P_DURATION:
        snprintf(buf, len, "%sa duration %s %gs%s%s", zero, lo, d->min,
                 d->max > 0 ? "" : "", (d->flags & FS_PF_INF_OK) ? ", or inf" : "");
        if (d->max > 0) {
            size_t k = strlen(buf);
            snprintf(buf + k, len - k, " and %s %gs", hi, d->max);
        }
        break;
    case FS_P_COUNT:
    case FS_P_BYTES:
    case FS_P_REAL:
        if (d->max > 0)
            snprintf(buf, len, "%sa number %s %g and %s %g%s", zero, lo, d->min, hi, d->max,
                     (d->flags & FS_PF_INF_OK) ? ", or inf" : "");
        else
            snprintf(buf, len, "%sa number %s %g%s", zero, lo, d->min,
                     (d->flags & FS_PF_INF_OK) ? ", or inf" : "");
        break;
    case FS_P_PROB:
        snprintf(buf, len, "%sa probability in (0, 1], as 1/N or a decimal", zero);
        break;
    case FS_P_ENUM: {
        size_t k = (size_t)snprintf(buf, len, "one of:");
        for (int i = 0; d->choices[i] && k < len; i++)
            k += (size_t)snprintf(buf + k, len - k, "%s %s", i ? "," : "", d->choices[i]);
        break;
    }
    case FS_P_BOOL:
        snprintf(buf, len, "yes or no");
        break;
    case FS_P_STRING:
        snprintf(buf, len, "text");
        break;
    }
}

const char *fs_printable(const char *s, char *buf, size_t n)
{
    size_t k = 0;
    if (!n)
        return buf;
    for (; *s && k + 5 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            k += (size_t)snprintf(buf + k, n - k, "\\x%02x", c);
        else
            buf[k++] = (char)c;
    }
    buf[k] = 0;
    return buf;
}

/* ---- setting values ------------------------------------------------------- */

static int range_error(const fs_param_def *d, const char *value, const char *ctx,
                       const char *what, char *err, size_t errlen)
{
    char rng[160], pv[256], pc[512];
    fs_param_describe_range(d, rng, sizeof rng);
    snprintf(err, errlen, "%s%sparameter %s=%s: %s (expected %s%s%s)",
             ctx ? fs_printable(ctx, pc, sizeof pc) : "", ctx ? ": " : "", d->name,
             fs_printable(value, pv, sizeof pv), what, rng, d->unit && *d->unit ? ", unit " : "",
             d->unit ? d->unit : "");
    return -1;
}

static int check_num(const fs_param_def *d, double v, const char *value, const char *ctx,
                     char *err, size_t errlen)
{
    if (v == 0 && (d->flags & FS_PF_ZERO_OK))
        return 0;
    int below = (d->flags & FS_PF_MIN_EXCL) ? !(v > d->min) : !(v >= d->min);
    if (below)
        return range_error(d, value, ctx, "out of range", err, errlen);
    if (d->max > 0 && ((d->flags & FS_PF_MAX_EXCL) ? !(v < d->max) : v > d->max))
        return range_error(d, value, ctx, "out of range", err, errlen);
    return 0;
}

int fs_param_set(const fs_param_def *d, void *out, const char *value, const char *ctx,
                 char *err, size_t errlen)
{
    char *base = (char *)out + d->offset;
    switch (d->type) {
    case FS_P_DURATION: {
        fs_ns v;
        if (fs_parse_duration(value, &v, (d->flags & FS_PF_INF_OK) != 0))
            return range_error(d, value, ctx, "not a duration", err, errlen);
        if (v != FS_NS_INF && check_num(d, (double)v / 1e9, value, ctx, err, errlen))
            return -1;
        memcpy(base, &v, sizeof v);
        return 0;
    }
    case FS_P_COUNT:
    case FS_P_BYTES: {
        uint64_t v;
        if ((d->flags & FS_PF_INF_OK) && (!strcmp(value, "inf") || !strcmp(value, "off"))) {
            v = UINT64_MAX;
        } else {
            if (fs_parse_count(value, &v))
                return range_error(d, value, ctx, "not a whole number", err, errlen);
            if (check_num(d, (double)v, value, ctx, err, errlen))
                return -1;
        }
        memcpy(base, &v, sizeof v);
        return 0;
    }
    case FS_P_PROB: {
        double v;
        if (fs_parse_prob(value, &v))
            return range_error(d, value, ctx, "not a probability", err, errlen);
        if (!(v > 0 && v <= 1) && !(v == 0 && (d->flags & FS_PF_ZERO_OK)))
            return range_error(d, value, ctx, "out of range", err, errlen);
        memcpy(base, &v, sizeof v);
        return 0;
    }
    case FS_P_REAL: {
        double v;
        if ((d->flags & FS_PF_INF_OK) && (!strcmp(value, "inf") || !strcmp(value, "off"))) {
            v = INFINITY;
            memcpy(base, &v, sizeof v);
            return 0;
        }
        if (fs_parse_real(value, &v))
            return range_error(d, value, ctx, "not a number", err, errlen);
        if (check_num(d, v, value, ctx, err, errlen))
            return -1;
        memcpy(base, &v, sizeof v);
        return 0;
    }
    case FS_P_ENUM:
        for (int i = 0; d->choices[i]; i++)
            if (!strcmp(value, d->choices[i])) {
                memcpy(base, &i, sizeof i);
                return 0;
            }
        return range_error(d, value, ctx, "unknown choice", err, errlen);
    case FS_P_BOOL: {
        int v;
        if (fs_parse_bool(value, &v))
            return range_error(d, value, ctx, "not yes/no", err, errlen);
        memcpy(base, &v, sizeof v);
        return 0;
    }
    case FS_P_STRING: {
        if (strpbrk(value, ",;\"\n\r"))
            return range_error(d, value, ctx, "contains , ; \" or a newline", err, errlen);
        char *old;
        memcpy(&old, base, sizeof old);
        free(old);
        char *v = strdup(value);
        if (!v) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        memcpy(base, &v, sizeof v);
        return 0;
    }
    }
    return -1;
}

int fs_params_defaults(const fs_param_def *defs, size_t n, void *out, char *err,
                       size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        if (defs[i].type == FS_P_STRING) {
            char *nul = NULL;
            memcpy((char *)out + defs[i].offset, &nul, sizeof nul);
        }
        if (fs_param_set(&defs[i], out, defs[i].def, "default", err, errlen))
            return -1;
    }
    return 0;
}

const fs_param_def *fs_params_find(const fs_param_def *defs, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(defs[i].name, name))
            return &defs[i];
    return NULL;
}

void fs_params_free(const fs_param_def *defs, size_t n, void *params)
{
    for (size_t i = 0; i < n; i++)
        if (defs[i].type == FS_P_STRING) {
            char *v;
            memcpy(&v, (char *)params + defs[i].offset, sizeof v);
            free(v);
            v = NULL;
            memcpy((char *)params + defs[i].offset, &v, sizeof v);
        }
}

/* ---- name=value lists -------------------------------------------------------- */

int fs_kv_split(const char *list, const char *ctx, fs_kv_fn fn, void *fnctx, char *err,
                size_t errlen)
{
    size_t n = strlen(list);
    char *buf = malloc(n + 1);
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    const char *s = list;
    int rc = 0;
    while (*s) {
        /* name: up to '=' */
        const char *eq = s;
        while (*eq && *eq != '=' && *eq != ',')
            eq++;
        if (*eq != '=' || eq == s) {
            size_t l = (size_t)(eq - s);
            char got[128], pc[256];
            snprintf(got, sizeof got, "%.*s", (int)(l < 100 ? l : 100), s);
            snprintf(err, errlen, "%s: expected name=value, got '%s'", fs_printable(ctx, pc, sizeof pc),
                     fs_printable(got, pc + 128, 128));
            rc = -1;
            break;
        }
        char name[64];
        size_t nl = (size_t)(eq - s);
        if (nl >= sizeof name) {
            snprintf(err, errlen, "%s: parameter name too long", ctx);
            rc = -1;
            break;
        }
        memcpy(name, s, nl);
        name[nl] = 0;
        /* value: quoted or up to ',' */
        const char *v = eq + 1;
        size_t k = 0;
        if (*v == '"' || *v == '\'') {
            char q = *v++;
            while (*v && *v != q)
                buf[k++] = *v++;
            if (*v != q) {
                snprintf(err, errlen, "%s: parameter %s: unterminated quote", ctx, name);
                rc = -1;
                break;
            }
            v++;
            if (*v && *v != ',') {
                snprintf(err, errlen, "%s: parameter %s: text after closing quote", ctx, name);
                rc = -1;
                break;
            }
        } else {
            while (*v && *v != ',')
                buf[k++] = *v++;
        }
        buf[k] = 0;
        if ((rc = fn(name, buf, fnctx, err, errlen)) != 0)
            break;
        s = *v == ',' ? v + 1 : v;
        if (*v == ',' && !*s) {
            snprintf(err, errlen, "%s: trailing ','", ctx);
            rc = -1;
            break;
        }
    }
    free(buf);
    return rc;
}
