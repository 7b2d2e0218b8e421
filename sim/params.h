/* flowsim — typed parameters with units, defaults and help.
 *
 * Every knob of flowsim (algorithm parameters, the observation stage, the
 * flow key, the export model, the generator) is declared once in a table of
 * fs_param_def. The same table drives parsing of `name=value` lists, the
 * `flowsim algorithms` listing, the canonical text written into manifests
 * and CSV files, and range checks. Values are stored into a caller-defined
 * struct at each definition's offset.
 *
 * Value syntax (case-sensitive suffixes):
 *   duration  15s 30m 2h 250ms 100us 100ns 1.5s, plain number = seconds;
 *             "inf" or "off" where the definition allows it (stored as
 *             FS_NS_INF). Stored as int64 nanoseconds.
 *   count     65536, 64k (=64000), 2M, 1G, 64Ki (=65536), 1Mi; stored uint64.
 *   prob      1/100, 0.01, 1 (a probability in (0,1]); stored double.
 *   real      decimal with optional k/M/G suffix; stored double (inf where
 *             allowed is stored as INFINITY).
 *   bytes     like count (64, 1500, 64k); stored uint64.
 *   enum      one of the listed names; stored int (index).
 *   bool      yes/no, true/false, on/off, 1/0; stored int.
 *   string    any text without ',' ';' '"' (quote it in a list with "..."
 *             or '...'); stored as a heap copy (fs_params_free releases).
 */
#ifndef FS_PARAMS_H
#define FS_PARAMS_H

#include <stddef.h>
#include <stdint.h>
#include "fs.h"

enum fs_ptype {
    FS_P_DURATION,
    FS_P_COUNT,
    FS_P_PROB,
    FS_P_REAL,
    FS_P_BYTES,
    FS_P_ENUM,
    FS_P_BOOL,
    FS_P_STRING,
};

/* flags */
#define FS_PF_INF_OK   0x01  /* duration/count/bytes/real: accepts inf/off */
#define FS_PF_MIN_EXCL 0x02  /* value must be > min (else >= min)          */
#define FS_PF_ZERO_OK  0x04  /* 0 is accepted even if below min (0 = off)  */
#define FS_PF_MAX_EXCL 0x08  /* value must be < max (else <= max)          */

typedef struct fs_param_def {
    const char *name;
    enum fs_ptype type;
    size_t offset;               /* offsetof(params struct, field)          */
    const char *def;             /* default, in the value syntax above      */
    const char *unit;            /* shown in listings: "s", "entries", ...  */
    const char *help;            /* one sentence                            */
    double min, max;             /* numeric range (durations in seconds)    */
    const char *const *choices;  /* enum: NULL-terminated names             */
    unsigned flags;
} fs_param_def;

/* Fill every field with its default. Returns 0 or -1 (bad default: a bug). */
int  fs_params_defaults(const fs_param_def *defs, size_t n, void *out,
                        char *err, size_t errlen);
/* Find a definition by name, or NULL. */
const fs_param_def *fs_params_find(const fs_param_def *defs, size_t n,
                                   const char *name);
/* Parse one value into out. ctx prefixes error messages (e.g. the spec).
 * Returns 0, or -1 with "ctx: parameter NAME: <problem> (unit U, range ...)". */
int  fs_param_set(const fs_param_def *d, void *out, const char *value,
                  const char *ctx, char *err, size_t errlen);
/* Canonical text of a stored value ("15s", "1/100", "65536", "yes"). */
void fs_param_format(const fs_param_def *d, const void *params, char *buf,
                     size_t len);
/* Text of a default: the canonical form of def. */
void fs_params_free(const fs_param_def *defs, size_t n, void *params);

/* Split "a=1,b='x,y',c=3" into name/value pairs. Calls fn for each; stops
 * at the first non-zero return. Returns 0, or -1 with a message for syntax
 * errors (missing '=', unterminated quote, empty name).                   */
typedef int (*fs_kv_fn)(const char *name, const char *value, void *ctx,
                        char *err, size_t errlen);
int  fs_kv_split(const char *list, const char *ctx, fs_kv_fn fn, void *fnctx,
                 char *err, size_t errlen);

/* Low-level parsers, also used by the command line (--bin, --seed...).
 * Return 0 on success, -1 on a syntax error. */
int  fs_parse_duration(const char *s, fs_ns *out, int inf_ok);
int  fs_parse_count(const char *s, uint64_t *out);
int  fs_parse_prob(const char *s, double *out);
int  fs_parse_real(const char *s, double *out);
int  fs_parse_bool(const char *s, int *out);
void fs_format_duration(fs_ns ns, char *buf, size_t len);
void fs_format_prob(double p, char *buf, size_t len);
void fs_format_count(uint64_t v, char *buf, size_t len);

/* s with every control byte written as \\xNN, so a message quoting user
 * text stays on one line. Returns buf. */
const char *fs_printable(const char *s, char *buf, size_t n);

/* Human description of the accepted values of a definition, for listings
 * and error messages ("duration > 0 s", "one of: lru, refuse"). */
void fs_param_describe_range(const fs_param_def *d, char *buf, size_t len);

#endif
