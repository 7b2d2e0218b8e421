/* flowsim — the open-file limit. Every pipeline-replicate of a run keeps
 * temporary files open (its rows, and its time series when kept), so a run
 * of many replicates needs more than a default soft limit of 1024.
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#ifndef FS_FDLIMIT_H
#define FS_FDLIMIT_H

/* Raises the soft limit on open files to the hard one (at most 2^20) and
 * returns the limit then in force (a large number if unlimited). */
double fs_fdlimit_raise(void);

#endif
