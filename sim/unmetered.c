/* flowsim — the run's warning about frames that were not metered (see
 * unmetered.h). Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include "unmetered.h"

#include <inttypes.h>
#include <stdio.h>

int fs_unmetered_warning(const fs_reader *r, double threshold, char *buf, size_t n)
{
    if (n)
        buf[0] = '\0';
    uint64_t frames = 0, dropped = 0, by[FS_DEC__COUNT] = {0};
    for (int i = 0; i < fs_reader_nfiles(r); i++) {
        const fs_file_info *fi = fs_reader_file(r, i);
        frames += fi->frames;
        for (int s = 0; s < FS_DEC__COUNT; s++)
            if (fs_decode_is_drop(s)) {
                by[s] += fi->status[s];
                dropped += fi->status[s];
            }
    }
    if (!frames || !dropped || (double)dropped <= threshold * (double)frames)
        return 0;
    size_t k = (size_t)snprintf(buf, n,
                                "warning: %" PRIu64 " of %" PRIu64 " frames (%.1f%%) were not "
                                "metered, more than warn_unmetered %g%%; by reason:",
                                dropped, frames, 100.0 * (double)dropped / (double)frames,
                                100.0 * threshold);
    for (int t = 0; t < FS_UNMETERED_TOP; t++) {
        int best = -1;
        for (int s = 0; s < FS_DEC__COUNT; s++)
            if (by[s] && (best < 0 || by[s] > by[best]))
                best = s;
        if (best < 0)
            break;
        if (k < n)
            k += (size_t)snprintf(buf + k, n - k, "%s %s %" PRIu64, t ? "," : "",
                                  fs_decode_status_name[best], by[best]);
        by[best] = 0;
    }
    if (k < n)
        snprintf(buf + k, n - k, " (flowsim info: all counts)");
    return 1;
}
