/* flowsim — the open-file limit (fdlimit.h).
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include <sys/resource.h>
#include "fdlimit.h"

double fs_fdlimit_raise(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl))
        return 1e9;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max) {
        struct rlimit want = rl;
        want.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 1048576 ? 1048576 :
                                                                                 rl.rlim_max;
        if (!setrlimit(RLIMIT_NOFILE, &want))
            rl = want;
    }
    return rl.rlim_cur == RLIM_INFINITY ? 1e9 : (double)rl.rlim_cur;
}
