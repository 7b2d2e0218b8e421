/* flowsim — helpers shared by the capture fuzz targets (header-only: each
 * target is one translation unit plus this file).
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#ifndef FS_FUZZ_COMMON_H
#define FS_FUZZ_COMMON_H

#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "reader.h"

/* A property the code promises does not hold: report and abort, so libFuzzer
 * saves the input as a crash. */
#define FZ_CHECK(cond, ...)                                                   \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "fuzz property violated: %s: ", #cond);           \
            fprintf(stderr, __VA_ARGS__);                                     \
            fputc('\n', stderr);                                              \
            abort();                                                          \
        }                                                                     \
    } while (0)

/* FUZZ_STRICT=1 also checks the properties that known open bugs break (see
 * tests/fuzz/README.md); run.sh sets it when it replays the regression
 * inputs, and leaves it unset while fuzzing so the fuzzer gets past them. */
static inline int fz_strict(void)
{
    static int v = -1;
    if (v < 0) {
        const char *e = getenv("FUZZ_STRICT");
        v = e && *e == '1';
    }
    return v;
}

/* An error message must be one non-empty line. input_has_eol: the input
 * held a line break (known bug: some messages quote input unescaped). */
static inline void fz_check_msg_in(const char *what, const char *err, int input_has_eol)
{
    FZ_CHECK(err[0] != '\0', "%s failed without a message", what);
    if (input_has_eol && !fz_strict())
        return;
    FZ_CHECK(!strchr(err, '\n') && !strchr(err, '\r'), "%s: message is not one line: %s",
             what, err);
}
static inline void fz_check_msg(const char *what, const char *err)
{
    fz_check_msg_in(what, err, 0);
}

/* Link types fs_decode handles, plus values it must refuse cleanly. */
static const int fz_dlts[] = {
    DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, 101 /* LINKTYPE_RAW */,
    DLT_IPV4,   DLT_IPV6,      DLT_NULL,       DLT_LOOP,
    DLT_USER0 /* unsupported */, -1,
};

/* The bytes as one frame of every link type, with the wire length equal to,
 * smaller than and larger than the captured length. */
static inline void fz_decode_all(const uint8_t *data, size_t size)
{
    uint32_t cap = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
    const uint32_t wires[] = {cap, cap / 2, UINT32_MAX};
    for (size_t i = 0; i < sizeof fz_dlts / sizeof fz_dlts[0]; i++)
        for (size_t w = 0; w < sizeof wires / sizeof wires[0]; w++) {
            fs_pkt p;
            memset(&p, 0xa5, sizeof p);
            int s = fs_decode(fz_dlts[i], data, cap, wires[w], &p);
            FZ_CHECK(s >= 0 && s < FS_DEC__COUNT, "dlt %d: status %d", fz_dlts[i], s);
            FZ_CHECK(s != FS_DEC_TS_BACKWARDS, "dlt %d: the decoder has no time", fz_dlts[i]);
            FZ_CHECK(p.caplen == cap && p.wire_len == wires[w], "dlt %d: lengths", fz_dlts[i]);
            if (fs_decode_is_drop(s))
                continue;
            FZ_CHECK(p.l3_end <= cap, "dlt %d: l3_end %u > caplen %u", fz_dlts[i], p.l3_end, cap);
            if (s == FS_DEC_OK) {
                FZ_CHECK(p.ports_end <= cap, "dlt %d: ports_end %u > caplen %u", fz_dlts[i],
                         p.ports_end, cap);
                FZ_CHECK(p.flags_end <= cap, "dlt %d: flags_end %u > caplen %u", fz_dlts[i],
                         p.flags_end, cap);
            }
            FZ_CHECK(p.frag <= FS_FRAG_LATER, "dlt %d: frag %u", fz_dlts[i], p.frag);
            FZ_CHECK((s == FS_DEC_FRAGMENT) == (p.frag == FS_FRAG_LATER),
                     "dlt %d: status %d with frag %u", fz_dlts[i], s, p.frag);
        }
}

/* Writes head (may be NULL) + data into a memfd and reads it as a trace to
 * the end, checking the reader's promises. */
static inline void fz_read_capture(const uint8_t *data, size_t size, const uint8_t *head,
                                   size_t headlen)
{
    int fd = memfd_create("fuzz-capture", MFD_CLOEXEC);
    if (fd < 0)
        abort();
    if ((headlen && write(fd, head, headlen) != (ssize_t)headlen) ||
        (size && write(fd, data, size) != (ssize_t)size))
        abort();
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    const char *paths[1] = {path};
    fs_reader *r = NULL;
    char err[512];
    err[0] = '\0';
    if (fs_reader_open(&r, paths, 1, err, sizeof err) != 0) {
        FZ_CHECK(r == NULL, "failed open left a reader");
        fz_check_msg("fs_reader_open", err);
        close(fd);
        return;
    }
    FZ_CHECK(fs_reader_nfiles(r) == 1, "nfiles %d", fs_reader_nfiles(r));
    fs_pkt p;
    fs_ns prev = INT64_MIN;
    int rc;
    uint64_t n = 0;
    /* libpcap reads at least 16 bytes per record, so size/16 + 1 calls end
     * any file; more means the reader loops. */
    uint64_t limit = (uint64_t)(size + headlen) / 16 + 2;
    while ((rc = fs_reader_next(r, &p, err, sizeof err)) == 1) {
        FZ_CHECK(p.ts >= prev, "timestamps go backwards: %lld after %lld", (long long)p.ts,
                 (long long)prev);
        FZ_CHECK(p.source == 0, "source %u", p.source);
        prev = p.ts;
        FZ_CHECK(++n <= limit, "more packets (%llu) than the file can hold",
                 (unsigned long long)n);
    }
    const fs_file_info *fi = fs_reader_file(r, 0);
    FZ_CHECK(fi != NULL, "no file info");
    if (rc < 0) {
        fz_check_msg("fs_reader_next", err);
    } else {
        FZ_CHECK(rc == 0, "next returned %d", rc);
        FZ_CHECK(fi->sha256_done, "clean end of file without SHA-256");
        /* after the end, next keeps saying so */
        FZ_CHECK(fs_reader_next(r, &p, err, sizeof err) == 0, "next after the end");
    }
    FZ_CHECK(fi->frames >= n, "frames %llu < packets %llu", (unsigned long long)fi->frames,
             (unsigned long long)n);
    fs_reader_close(r);
    close(fd);
}

#endif
