/* flowsim — libFuzzer target: arbitrary bytes as a capture file through the
 * whole engine (fs_run), so hostile timestamps, lengths and headers reach
 * the meters, the record stages, the ground truth, the evaluation and the
 * writers, not just the reader. One pass meters every algorithm with small
 * tables and short timeouts (so expiry, emergency expiry and slicing all
 * happen on a few packets) and a record stage chain; 1 s bins; records and
 * results are written, the per-second time series is not (it is the slowest
 * writer and reads nothing the others do not).
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
 *
 * The outputs go to a directory under /dev/shm (or /tmp) made once. The
 * run's messages go to stderr; fuzz.mk passes -close_fd_mask=3 so they do not
 * flood the log (sanitizer reports still reach the log).
 *
 * Known open bugs (run only with FUZZ_STRICT=1; see tests/bad/cases.tsv):
 * timestamps within a bin of the ends of the 64-bit nanosecond range (pcapng
 * allows them) crash or hang the meters, and the resource accounting walks
 * every second between two packets (sim/acct.c), so a capture spanning
 * decades takes minutes. Without FUZZ_STRICT, inputs with a packet outside
 * [-2^62, 2^62) ns (years 1823 to 2116) or spanning more than 2^16 s (18 h)
 * are read but not run.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);
const char *__asan_default_options(void);

/* The writers' fprintf calls dominate a run; ASan's format-string checks
 * double their cost and find nothing the other checks would miss. */
const char *__asan_default_options(void)
{
    return "check_printf=0";
}

static const char *const spec_text[] = {
    "netflow:inactive=1s,active=2s,entries=4,emerg_batch=1",
    "sampled-netflow:rate=1/2,entries=4,key_bidir=yes",
    "sample-and-hold:p=1/2,entries=4,inactive=1s",
    "adaptive-netflow:entries=4,bin=1s",
    "flow-slices:entries=4,t=1s,p=1/2,q=1/2",
    "netflow:entries=8,snaplen=40,psamp=random,psamp_rate=1/2|smart:zb=100,target=2,window=1s|uniform:rate=1/2|filter:min_packets=1",
};
#define NSPEC (sizeof spec_text / sizeof spec_text[0])

static fs_pipeline_spec specs[NSPEC];
static fs_run_cfg cfg;
static char outdir[64];

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* At exit (not after a crash: then the outputs may help) the output folder goes. */
static void rm_outdir(void)
{
    nftw(outdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[1024];
    for (size_t i = 0; i < NSPEC; i++)
        if (fs_pipeline_parse(spec_text[i], &specs[i], err, sizeof err)) {
            fprintf(stderr, "fuzz_run: %s\n", err);
            abort();
        }
    if (fs_params_defaults(fs_run_params_def, fs_run_nparams, &cfg, err, sizeof err) ||
        fs_param_set(fs_params_find(fs_run_params_def, fs_run_nparams, "bin"), &cfg, "1s",
                     "fuzz", err, sizeof err) ||
        fs_param_set(fs_params_find(fs_run_params_def, fs_run_nparams, "truth_cache"), &cfg,
                     "off", "fuzz", err, sizeof err) ||
        fs_param_set(fs_params_find(fs_run_params_def, fs_run_nparams, "progress"), &cfg, "no",
                     "fuzz", err, sizeof err) ||
        /* the time series is a row per second per pipeline: the slowest writer */
        fs_param_set(fs_params_find(fs_run_params_def, fs_run_nparams, "timeseries"), &cfg,
                     "none", "fuzz", err, sizeof err)) {
        fprintf(stderr, "fuzz_run: %s\n", err);
        abort();
    }
    cfg.quiet = 1;
    snprintf(outdir, sizeof outdir, "%s/flowsim-fuzz-run.XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(outdir))
        abort();
    atexit(rm_outdir);
    free(cfg.out);
    cfg.out = strdup(outdir);
    return 0;
}

/* 1 if every packet's timestamp is inside [-2^62, 2^62) ns and they span at
 * most 2^16 s (see the top). */
static int times_sane(const char *path)
{
    const char *paths[1] = {path};
    fs_reader *r;
    char err[512];
    if (fs_reader_open(&r, paths, 1, err, sizeof err))
        return 1;   /* fs_run fails the same way */
    fs_pkt p;
    int ok = 1;
    const fs_ns lim = INT64_C(1) << 62, span = (INT64_C(1) << 16) * FS_NS_PER_S;
    fs_ns lo = INT64_MAX, hi = INT64_MIN;
    while (fs_reader_next(r, &p, err, sizeof err) == 1) {
        if (p.ts >= lim || p.ts < -lim)
            ok = 0;
        lo = p.ts < lo ? p.ts : lo;
        hi = p.ts > hi ? p.ts : hi;
    }
    fs_reader_close(r);
    return ok && (hi < lo || hi - lo <= span);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz-run", MFD_CLOEXEC);
    if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
        abort();
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    if (fz_strict() || times_sane(path)) {
        const char *traces[1] = {path};
        char *argv[] = {(char *)"fuzz_run", NULL};
        int st = fs_run(&cfg, traces, 1, specs, (int)NSPEC, 1, argv);
        FZ_CHECK(st == 0 || st == 2, "fs_run returned %d on a capture file", st);
    }
    close(fd);
    return 0;
}
