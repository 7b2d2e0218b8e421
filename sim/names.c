/* flowsim — name and help tables generated from the X-macros in fs.h, so the
 * names written into CSV files can never drift from the enums.
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include "fs.h"

const char *const fs_decode_status_name[FS_DEC__COUNT] = {
#define FS_X(id, name, help) name,
    FS_DECODE_STATUS(FS_X)
#undef FS_X
};
const char *const fs_decode_status_help[FS_DEC__COUNT] = {
#define FS_X(id, name, help) help,
    FS_DECODE_STATUS(FS_X)
#undef FS_X
};
const char *const fs_reason_name[FS_REASON__COUNT] = {
#define FS_X(id, name, help) name,
    FS_REASONS(FS_X)
#undef FS_X
};
const char *const fs_reason_help[FS_REASON__COUNT] = {
#define FS_X(id, name, help) help,
    FS_REASONS(FS_X)
#undef FS_X
};
