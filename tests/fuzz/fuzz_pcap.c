/* flowsim — libFuzzer target: arbitrary bytes as a capture file (pcap or
 * pcapng, whichever the magic says) read through fs_reader_open/next to the
 * end, and the same bytes as one frame through fs_decode for every link type
 * the decoder handles (and ones it does not).
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
 *
 * Besides the sanitizers it checks what reader.h and fs.h promise (see
 * fuzz_common.h). The file lives in a memfd, opened by its /proc/self/fd
 * path exactly as a path on the command line would be: no disk traffic, and
 * the reader's own open/pread/fopencookie path is what gets fuzzed.
 */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_decode_all(data, size);
    fz_read_capture(data, size, NULL, 0);
    return 0;
}
