/* flowsim — the run's warning about frames that were not metered.
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
 *
 * A frame the decoder does not turn into a packet (not IP, truncated, a bad
 * header, ...) is counted by reason and never reaches a meter or the ground
 * truth, so errors computed over the rest can look perfect over a trace that
 * was mostly skipped. After a run, when the frames not metered are more than
 * the run parameter warn_unmetered (a fraction of all frames read) the run
 * says so, with the reasons that dropped most of them.
 */
#ifndef FS_UNMETERED_H
#define FS_UNMETERED_H

#include <stddef.h>
#include "reader.h"

/* Reasons named in the warning, most frequent first. */
#define FS_UNMETERED_TOP 3

/* Writes the warning (one line, no newline) into buf and returns 1 when the
 * frames not metered across the reader's files are more than threshold
 * (a fraction in [0, 1]) of its frames; returns 0 (buf "") otherwise, or
 * when no frame was read. */
int fs_unmetered_warning(const fs_reader *r, double threshold, char *buf, size_t n);

#endif
