/* flowsim — no file a run writes is one of its input traces (see
 * outpaths.h). Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include "outpaths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct fid {
    dev_t dev;
    ino_t ino;
    const char *name;   /* NULL: an existing file; else its last name in folder dev/ino */
    size_t namelen;
} fid;

/* The identity of path; -1 when neither it nor its folder exists (then it
 * can be no other file: opening it will fail). */
static int fid_of(const char *path, fid *id)
{
    struct stat st;
    if (!stat(path, &st)) {
        *id = (fid){st.st_dev, st.st_ino, NULL, 0};
        return 0;
    }
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    char dir[4096];
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    if (!*name || stat(dir, &st))
        return -1;
    *id = (fid){st.st_dev, st.st_ino, name, strlen(name)};
    return 0;
}

static int fid_same(const fid *a, const fid *b)
{
    if (a->dev != b->dev || a->ino != b->ino || !a->name != !b->name)
        return 0;
    return !a->name || (a->namelen == b->namelen && !memcmp(a->name, b->name, a->namelen));
}

int fs_outpaths_check(const char *const *inputs, int ninputs, const fs_outpath *outs, int nouts,
                      int nexcl, char *err, size_t errlen)
{
    fid *in = calloc((size_t)ninputs + 1, sizeof *in);
    fid *ex = calloc((size_t)nexcl + 1, sizeof *ex);
    int *in_ok = calloc((size_t)ninputs + 1, sizeof *in_ok);
    int *ex_ok = calloc((size_t)nexcl + 1, sizeof *ex_ok);
    int rc = 0;
    if (!in || !ex || !in_ok || !ex_ok) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
        goto out;
    }
    for (int i = 0; i < ninputs; i++)
        in_ok[i] = !fid_of(inputs[i], &in[i]) && !in[i].name;   /* inputs exist */
    for (int o = 0; o < nouts && !rc; o++) {
        fid id;
        if (fid_of(outs[o].path, &id))
            continue;
        if (o < nexcl) {
            ex[o] = id;
            ex_ok[o] = 1;
        }
        for (int i = 0; i < ninputs; i++)
            if (in_ok[i] && fid_same(&id, &in[i])) {
                snprintf(err, errlen, "%s: %s is the input trace %s (it would be overwritten "
                         "while it is read)", outs[o].what, outs[o].path, inputs[i]);
                rc = -1;
                break;
            }
        for (int e = 0; e < nexcl && e < o && !rc; e++)
            if (ex_ok[e] && fid_same(&id, &ex[e])) {
                snprintf(err, errlen, "%s and %s write to the same file %s: give each its own "
                         "file", outs[e].what, outs[o].what, outs[o].path);
                rc = -1;
            }
    }
out:
    free(in);
    free(ex);
    free(in_ok);
    free(ex_ok);
    return rc;
}
