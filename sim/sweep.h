/* flowsim — parameter sweeps: a sweep file (INI, read with inih) declares
 * traces, algorithms, parameter grids, replicates and the master seed; every
 * grid point becomes one pipeline, the pipelines over one trace share one
 * pass (`fs_run`), split into shards only to respect a memory limit and to
 * use several cores or a Slurm job array. Points are completed one by one
 * (write, then rename), so a killed sweep resumes where it stopped, and the
 * merged table does not depend on how the points were sharded.
 * The file format is documented in docs/sweep.md.
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#ifndef FS_SWEEP_H
#define FS_SWEEP_H

#include <stddef.h>
#include "params.h"

typedef struct fs_sweep fs_sweep;

/* Reads and expands a sweep file. Returns NULL with a one-line message
 * "FILE:LINE: ..." in err for any problem (syntax, unknown key, bad value or
 * range, missing trace, unknown algorithm). */
fs_sweep *fs_sweep_load(const char *path, char *err, size_t errlen);
void      fs_sweep_free(fs_sweep *sw);

/* The grid points, in expansion order: sections in file order, then trace,
 * algorithm, parameters in the order of their keys (the first varies
 * slowest), record stages. */
int         fs_sweep_npoints(const fs_sweep *sw);
const char *fs_sweep_point_label(const fs_sweep *sw, int i);   /* canonical spec     */
const char *fs_sweep_point_trace(const fs_sweep *sw, int i);   /* as written in FILE */
const char *fs_sweep_point_section(const fs_sweep *sw, int i);
const char *fs_sweep_point_id(const fs_sweep *sw, int i);      /* 32 hex digits      */
/* Estimated memory of one point (all its replicates), in bytes: see
 * fs_sweep_main's help and docs/sweep.md for the rule. */
double      fs_sweep_point_mem(const fs_sweep *sw, int i);
/* The value of parameter column `col` (a parameter name) of point i, as
 * written into results.csv, or NULL if the sweep has no such column. */
const char *fs_sweep_point_col(const fs_sweep *sw, int i, const char *col);

/* Expands one value expression of parameter d: a comma-separated list whose
 * items are values or ranges "A .. B log N | lin N | step S | mul F".
 * Returns 0 and a heap array of heap strings (free with fs_sweep_free_list),
 * or -1 with a message. */
int  fs_sweep_expand(const fs_param_def *d, const char *expr, char ***vals, int *n,
                     char *err, size_t errlen);
void fs_sweep_free_list(char **vals, int n);

/* Mean, sample standard deviation and half-width of the two-sided 95 %
 * confidence interval of the mean (Student t with n-1 degrees of freedom)
 * over the non-NaN values of x. sd and ci95 are NaN when fewer than two
 * values remain, mean when none does. Returns how many values were used. */
int fs_sweep_stats(const double *x, int n, double *mean, double *sd, double *ci95);

/* `flowsim sweep FILE [options]` (argv[0] is "sweep"). Returns the exit
 * status: 0, 1 (bad sweep file or options: nothing run), 2 (a shard failed,
 * points missing, input/output or Slurm error), 130 (interrupted). */
int fs_sweep_main(int argc, char **argv);

#endif
