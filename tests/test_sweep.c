/* flowsim — sweeps: expansion of value lists and ranges (lists, log and
 * linear ranges, steps, factors), the grid of a sweep file (products,
 * sections, stages, traces, a point shared by two sections, parameter
 * columns, memory estimates), the summary statistics against a hand
 * computation, and bad sweep files (one message naming the file and line).
 * Runs from tests/ (the sweep files are in tests/sweeps/).
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo.h"
#include "engine.h"
#include "sweep.h"
#include "tf.h"

static const fs_param_def *def_of(const char *algo, const char *name)
{
    const fs_algo *a = fs_algo_find(algo);
    const fs_param_def *d = a ? fs_params_find(a->params, a->nparams, name) : NULL;
    return d ? d : fs_params_find(fs_common_params_def, fs_common_nparams, name);
}

/* Expands expr for parameter name of algo and compares with the values
 * expected, given as one string "v1 v2 ...". */
static void check_expand(const char *algo, const char *name, const char *expr, const char *want)
{
    const fs_param_def *d = def_of(algo, name);
    CHECK(d != NULL);
    if (!d)
        return;
    char **v = NULL, err[512] = "";
    int n = 0;
    int rc = fs_sweep_expand(d, expr, &v, &n, err, sizeof err);
    if (rc) {
        fprintf(stderr, "  %s = %s: %s\n", name, expr, err);
        CHECK(rc == 0);
        return;
    }
    char got[4096] = "";
    size_t k = 0;
    for (int i = 0; i < n; i++)
        k += (size_t)snprintf(got + k, sizeof got - k, "%s%s", i ? " " : "", v[i]);
    if (strcmp(got, want))
        fprintf(stderr, "  %s = %s\n", name, expr);
    CHECK_STR(got, want);
    fs_sweep_free_list(v, n);
}

static void check_expand_fails(const char *algo, const char *name, const char *expr,
                               const char *msg)
{
    char **v = NULL, err[512] = "";
    int n = 0;
    int rc = fs_sweep_expand(def_of(algo, name), expr, &v, &n, err, sizeof err);
    CHECK(rc == -1);
    if (rc == 0)
        fs_sweep_free_list(v, n);
    if (!strstr(err, msg))
        fprintf(stderr, "  %s = %s: message '%s' lacks '%s'\n", name, expr, err, msg);
    CHECK(strstr(err, msg) != NULL);
}

TEST(sweep_expand_lists)
{
    check_expand("netflow", "entries", "1k, 4Ki, 65536", "1k 4Ki 65536");
    check_expand("sampled-netflow", "mode", "random, systematic,hash", "random systematic hash");
    /* repeated values are kept once, in first-seen order */
    check_expand("netflow", "inactive", "15s, 5s, 15s", "15s 5s");
    /* quotes protect commas and are removed */
    check_expand("netflow", "filter", "\"tcp or udp\", 'tcp port 80'", "tcp or udp tcp port 80");
    check_expand("netflow", "finrst", "yes, no", "yes no");
    check_expand_fails("netflow", "entries", "1k,,2k", "empty item");
    check_expand_fails("netflow", "filter", "\"tcp", "unterminated quote");
    check_expand_fails("netflow", "policy", "lru, fifo", "fifo");
    check_expand_fails("netflow", "filter", "tcp and and", "bad filter expression");
}

TEST(sweep_expand_ranges)
{
    /* 1/N probabilities: N is log-spaced and rounded, the values stay 1/N */
    check_expand("sampled-netflow", "rate", "1/10 .. 1/1000 log 7",
                 "1/10 1/22 1/46 1/100 1/215 1/464 1/1000");
    check_expand("sampled-netflow", "rate", "1/10..1/1000 log 3", "1/10 1/100 1/1000");
    check_expand("sampled-netflow", "rate", "1/2 .. 1/16 mul 2", "1/2 1/4 1/8 1/16");
    check_expand("sampled-netflow", "rate", "1/10 .. 1/40 step 10", "1/10 1/20 1/30 1/40");
    /* decimal probabilities are spaced as they are */
    check_expand("sampled-netflow", "rate", "0.1 .. 0.5 lin 5", "0.1 0.2 0.3 0.4 0.5");
    check_expand("sampled-netflow", "rate", "0.1 .. 0.001 log 3", "0.1 0.01 0.001");
    /* counts: rounded to whole numbers; SI and IEC suffixes */
    check_expand("netflow", "entries", "1k .. 64k mul 2", "1000 2000 4000 8000 16000 32000 64000");
    check_expand("netflow", "entries", "1 .. 1000 log 4", "1 10 100 1000");
    check_expand("netflow", "entries", "1Ki .. 4Ki lin 4", "1024 2048 3072 4096");
    check_expand("netflow", "entries", "64k .. 1k mul 4", "64000 16000 4000 1000");
    check_expand("netflow", "entries", "10 .. 20 step 4", "10 14 18");
    check_expand("netflow", "entries", "1 .. 3 log 5", "1 2 3");   /* 1, 1.32, 1.73, 2.28, 3 */
    /* durations: linear in nanoseconds, log-spaced to 4 significant digits */
    check_expand("netflow", "inactive", "1s .. 4s lin 4", "1s 2s 3s 4s");
    check_expand("netflow", "inactive", "100ms .. 1s step 300ms", "100ms 400ms 700ms 1s");
    check_expand("netflow", "inactive", "1s .. 60s log 3", "1s 7746ms 1m");
    check_expand("netflow", "inactive", "30m .. 30s lin 2", "30m 30s");
    /* reals */
    check_expand("netflow", "emerg_low", "0.01 .. 0.04 lin 4", "0.01 0.02 0.03 0.04");
    /* items mix values and ranges; duplicates across them are dropped */
    check_expand("netflow", "entries", "5, 1 .. 3 lin 3, 5, 2", "5 1 2 3");
    check_expand_fails("netflow", "entries", "1 .. 8 log", "bad range");
    check_expand_fails("netflow", "entries", "1 .. 8 log 1", "whole N from 2");
    check_expand_fails("netflow", "entries", "1 .. 8 cubic 3", "unknown spacing 'cubic'");
    check_expand_fails("netflow", "entries", "0 .. 8 log 3", "ends above 0");
    check_expand_fails("netflow", "entries", "1 .. 8 mul 1", "F > 1");
    check_expand_fails("netflow", "entries", "1 .. 8 step 0", "S > 0");
    check_expand_fails("netflow", "entries", "1 .. x lin 3", "is not a value of entries");
    check_expand_fails("netflow", "entries", "1 .. 1M step 1", "more than 10000 values");
    check_expand_fails("netflow", "policy", "lru .. refuse lin 2", "takes no range");
    check_expand_fails("netflow", "mtu", "500 .. 1500 lin 3", "gives 500");
}

TEST(sweep_grid_file)
{
    char err[1024] = "";
    fs_sweep *sw = fs_sweep_load("sweeps/grid.ini", err, sizeof err);
    if (!sw)
        fprintf(stderr, "  %s\n", err);
    CHECK(sw != NULL);
    if (!sw)
        return;
    /* 6 (netflow) + 14 (sampled) + 6 - 1 (shared, one point already in
     * netflow) + 4 - 1 (stages, one point already in sampled) */
    CHECK_EQ_I(fs_sweep_npoints(sw), 28);
    if (fs_sweep_npoints(sw) != 28) {
        for (int i = 0; i < fs_sweep_npoints(sw); i++)
            fprintf(stderr, "  %d %s %s\n", i, fs_sweep_point_section(sw, i),
                    fs_sweep_point_label(sw, i));
        fs_sweep_free(sw);
        return;
    }
    static const struct { int i; const char *section, *label; } want[] = {
        {0, "netflow", "netflow:inactive=5s,entries=1000"},
        {1, "netflow", "netflow:inactive=10s,entries=1000"},
        {2, "netflow", "netflow:entries=1000"},          /* 15s is the default */
        {3, "netflow", "netflow:inactive=5s,entries=4096"},
        {5, "netflow", "netflow:entries=4096"},
        {6, "sampled", "sampled-netflow:rate=1/10"},
        {7, "sampled", "sampled-netflow:rate=1/10,mode=hash"},
        {8, "sampled", "sampled-netflow:rate=1/22"},
        {12, "sampled", "sampled-netflow"},             /* 1/100, random: defaults */
        {19, "sampled", "sampled-netflow:rate=1/1000,mode=hash"},
        {20, "shared", "netflow:inactive=30s,entries=1000"},
        {21, "shared", "netflow:inactive=5s,entries=2000"},
        {24, "shared", "netflow:inactive=30s,entries=4000"},
        {25, "stages", "sampled-netflow|uniform:rate=1/4"},
        {26, "stages", "sampled-netflow"},
        {27, "stages", "sampled-netflow|uniform:rate=1/4"},
    };
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        CHECK_STR(fs_sweep_point_section(sw, want[k].i), want[k].section);
        CHECK_STR(fs_sweep_point_label(sw, want[k].i), want[k].label);
    }
    CHECK_STR(fs_sweep_point_trace(sw, 0), "../../traces/real/ndpi_synscan.pcap");
    CHECK_STR(fs_sweep_point_trace(sw, 25), "../../traces/real/ndpi_synscan.pcap");
    CHECK_STR(fs_sweep_point_trace(sw, 26), "../../traces/real/ndpi_gnutella_full.pcap");
    /* points are distinct; the same pipeline over another trace is another point */
    for (int i = 0; i < 28; i++)
        for (int j = i + 1; j < 28; j++)
            CHECK(strcmp(fs_sweep_point_id(sw, i), fs_sweep_point_id(sw, j)) != 0);
    CHECK_EQ_U(strlen(fs_sweep_point_id(sw, 0)), 32);
    /* parameter columns: numbers plain (seconds, decimals), defaults filled,
     * empty where the algorithm has no such parameter */
    CHECK_STR(fs_sweep_point_col(sw, 0, "entries"), "1000");
    CHECK_STR(fs_sweep_point_col(sw, 0, "inactive"), "5");
    CHECK_STR(fs_sweep_point_col(sw, 0, "rate"), "");
    CHECK_STR(fs_sweep_point_col(sw, 0, "stages"), "none");
    CHECK_STR(fs_sweep_point_col(sw, 8, "rate"), "0.04545454545");
    CHECK_STR(fs_sweep_point_col(sw, 8, "entries"), "65536");
    CHECK_STR(fs_sweep_point_col(sw, 8, "inactive"), "15");
    CHECK_STR(fs_sweep_point_col(sw, 7, "mode"), "hash");
    CHECK_STR(fs_sweep_point_col(sw, 25, "stages"), "uniform:rate=1/4");
    CHECK(fs_sweep_point_col(sw, 0, "seed") == NULL);
    /* memory estimate: replicates x (2 x entries x entry_bytes + 1 MiB) */
    CHECK_NEAR(fs_sweep_point_mem(sw, 0), 4 * (2.0 * 1000 * 64 + 1048576), 0.5);
    CHECK_NEAR(fs_sweep_point_mem(sw, 6), 4 * (2.0 * 65536 * 64 + 1048576), 0.5);
    fs_sweep_free(sw);

    /* the same file loaded twice gives the same points (ids) */
    fs_sweep *a = fs_sweep_load("sweeps/grid.ini", err, sizeof err);
    fs_sweep *b = fs_sweep_load("sweeps/grid.ini", err, sizeof err);
    CHECK(a && b);
    if (a && b)
        for (int i = 0; i < fs_sweep_npoints(a); i++)
            CHECK_STR(fs_sweep_point_id(a, i), fs_sweep_point_id(b, i));
    fs_sweep_free(a);
    fs_sweep_free(b);
}

TEST(sweep_stats)
{
    /* by hand: mean 5, sd = sqrt(32 / 7), t(0.975, 7) = 2.364624251010299 */
    double x[] = {2, 4, 4, 4, 5, 5, 7, 9};
    double mean, sd, ci;
    CHECK_EQ_I(fs_sweep_stats(x, 8, &mean, &sd, &ci), 8);
    CHECK_NEAR(mean, 5, 1e-12);
    CHECK_NEAR(sd, sqrt(32.0 / 7), 1e-12);
    CHECK_NEAR(ci, 2.364624251010299 * sqrt(32.0 / 7) / sqrt(8), 1e-9);
    /* two values, t(0.975, 1) = 12.706204736174705; NaN values are left out */
    double y[] = {1, NAN, 3};
    CHECK_EQ_I(fs_sweep_stats(y, 3, &mean, &sd, &ci), 2);
    CHECK_NEAR(mean, 2, 1e-12);
    CHECK_NEAR(sd, sqrt(2.0), 1e-12);
    CHECK_NEAR(ci, 12.706204736174705, 1e-9);
    /* five replicates, t(0.975, 4) = 2.7764451051977987 */
    double z[] = {10, 12, 9, 11, 13};
    fs_sweep_stats(z, 5, &mean, &sd, &ci);
    CHECK_NEAR(mean, 11, 1e-12);
    CHECK_NEAR(sd, sqrt(2.5), 1e-12);
    CHECK_NEAR(ci, 2.7764451051977987 * sqrt(2.5) / sqrt(5), 1e-9);
    /* one value: no spread; none: no mean */
    CHECK_EQ_I(fs_sweep_stats(x, 1, &mean, &sd, &ci), 1);
    CHECK_NEAR(mean, 2, 0);
    CHECK(isnan(sd) && isnan(ci));
    double w[] = {NAN};
    CHECK_EQ_I(fs_sweep_stats(w, 1, &mean, &sd, &ci), 0);
    CHECK(isnan(mean));
}

TEST(sweep_bad_files)
{
    /* every tests/sweeps/bad_*.ini starts with "; expect: LINE: TEXT" */
    DIR *d = opendir("sweeps");
    CHECK(d != NULL);
    if (!d)
        return;
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "bad_", 4))
            continue;
        char path[512], first[512] = "", want[600], err[1024] = "";
        snprintf(path, sizeof path, "sweeps/%s", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f || !fgets(first, sizeof first, f)) {
            CHECK(0);
            if (f)
                fclose(f);
            continue;
        }
        fclose(f);
        first[strcspn(first, "\n")] = 0;
        int line = 0, off = 0;
        CHECK(sscanf(first, "; expect: %d: %n", &line, &off) == 1 && off > 0);
        snprintf(want, sizeof want, "%s:%d: ", path, line);
        fs_sweep *sw = fs_sweep_load(path, err, sizeof err);
        CHECK(sw == NULL);
        fs_sweep_free(sw);
        int ok = !strncmp(err, want, strlen(want)) && strstr(err, first + off) &&
                 !strchr(err, '\n');
        if (!ok)
            fprintf(stderr, "  %s: got '%s', expected '%s...%s'\n", path, err, want, first + off);
        CHECK(ok);
        n++;
    }
    closedir(d);
    CHECK(n >= 10);
}
