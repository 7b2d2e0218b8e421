/* flowsim — libFuzzer target: pcapng files. Random bytes rarely make a valid
 * section header, so the input is read after a valid little-endian Section
 * Header Block and one Interface Description Block, and the fuzzer starts
 * right at the packet blocks (EPB, SPB, more IDBs, a second SHB, options...).
 * The first input byte picks the IDB's link type (fz_dlts[byte % n]); the
 * rest follows the two blocks. An input that itself begins with the SHB
 * block type (0a 0d 0d 0a) is used as it is, so section headers are fuzzed
 * too. Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= 4 && !memcmp(data, "\x0a\x0d\x0d\x0a", 4)) {
        fz_read_capture(data, size, NULL, 0);
        return 0;
    }
    if (size < 1)
        return 0;
    uint8_t head[28 + 20];
    /* SHB: type, length 28, byte-order magic, version 1.0, section length -1, length */
    put32(head, 0x0a0d0d0a);
    put32(head + 4, 28);
    put32(head + 8, 0x1a2b3c4d);
    put32(head + 12, 1);               /* major 1, minor 0 */
    put32(head + 16, 0xffffffff);
    put32(head + 20, 0xffffffff);
    put32(head + 24, 28);
    /* IDB: type 1, length 20, link type, reserved, snaplen 0 (no limit), length */
    int n = (int)(sizeof fz_dlts / sizeof fz_dlts[0]) - 1;   /* not the -1 entry */
    int dlt = fz_dlts[data[0] % n];
    put32(head + 28, 1);
    put32(head + 32, 20);
    put32(head + 36, (uint32_t)dlt & 0xffff);
    put32(head + 40, 0);
    put32(head + 44, 20);
    fz_read_capture(data + 1, size - 1, head, sizeof head);
    return 0;
}
