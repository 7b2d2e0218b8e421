/* flowsim — `flowsim gen`: the command line of the synthetic trace generator.
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
 *
 *   flowsim gen [--profile NAME] [-p name=value,...]... [--seed S] [--usec] -o OUT.pcap
 *   flowsim gen --list
 *   flowsim gen --help
 *
 * Parameters are applied in this order whatever the order on the command
 * line: defaults, the profile, --usec, then each -p list from left to
 * right. Errors are one line naming the parameter; the exit status is 0,
 * 1 (usage or parameter error) or 2 (generation or I/O error).
 */
#include "gen.h"
#include "gen_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GEN_ERRLEN 512
#define GEN_HELP_WIDTH 78
#define GEN_DEFAULT_SEED 1

static const char usage_text[] =
    "usage: flowsim gen [--profile NAME] [-p name=value,...]... [--seed S] [--usec] -o OUT.pcap\n"
    "       flowsim gen --list | --help\n";

/* Prints text wrapped at GEN_HELP_WIDTH with the given indent. */
static void wrap(FILE *f, const char *text, int indent)
{
    int col = indent;
    fprintf(f, "%*s", indent, "");
    const char *s = text;
    while (*s) {
        size_t w = strcspn(s, " ");
        if (col > indent && col + 1 + (int)w > GEN_HELP_WIDTH) {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            fputc(' ', f);
            col++;
        }
        fprintf(f, "%.*s", (int)w, s);
        col += (int)w;
        s += w;
        while (*s == ' ')
            s++;
    }
    fputc('\n', f);
}

static int print_help(void)
{
    char err[GEN_ERRLEN];
    fs_gen_params def;
    if (fs_gen_params_init(&def, err, sizeof err)) {
        fprintf(stderr, "flowsim gen: %s\n", err);
        return 2;
    }
    printf("%s\n", usage_text);
    wrap(stdout, "Writes a synthetic Ethernet pcap trace OUT.pcap with known structure "
                 "(Poisson connection arrivals, heavy-tailed flow sizes, Zipf-like "
                 "addresses and ports, TCP handshakes, optional spoofed flood, port scan "
                 "and elephant) and a JSON sidecar OUT.pcap.json with every parameter, "
                 "the seed and the realised totals. The same seed and parameters give "
                 "the same bytes.", 0);
    printf("\nOptions:\n"
           "  --profile NAME   start from a named profile (see --list)\n"
           "  -p LIST          set parameters, LIST = name=value,... (repeatable)\n"
           "  --seed S         seed of the random generator, 0 to 2^64-1, every bit used:\n"
           "                   xoshiro256** seeded by splitmix64 of S (default %d)\n"
           "  --usec           microsecond timestamps (same as -p tstamp=us)\n"
           "  -o OUT.pcap      output file; the sidecar is OUT.pcap.json\n"
           "  --list           list the profiles\n"
           "  --help           this text\n",
           GEN_DEFAULT_SEED);
    printf("\nValues: durations 10s 250ms 1h; counts 64k 2M; probabilities 0.1 or 1/10.\n");
    printf("\nParameters (name, default, unit, meaning, accepted values):\n");
    size_t grp = 0;
    for (size_t i = 0; i < fs_gen_n_params; i++) {
        const fs_param_def *d = &fs_gen_param_defs[i];
        if (grp < fs_gen_n_param_groups && !strcmp(fs_gen_param_groups[grp].first, d->name))
            printf("\n%s\n", fs_gen_param_groups[grp++].title);
        char dv[128], rng[256], line[768];
        fs_param_format(d, &def, dv, sizeof dv);
        fs_param_describe_range(d, rng, sizeof rng);
        printf("  %-18s default %-12s unit %s\n", d->name, dv, d->unit && *d->unit ? d->unit : "-");
        snprintf(line, sizeof line, "%s Accepts %s.", d->help, rng);
        wrap(stdout, line, 6);
    }
    fs_gen_params_free(&def);
    return 0;
}

static void list_one(const char *name, const char *desc, void *ctx)
{
    (void)ctx;
    printf("%-16s %s\n", name, desc);
}

static int print_list(void)
{
    char err[GEN_ERRLEN];
    int n = fs_gen_profile_list(list_one, NULL, err, sizeof err);
    if (n < 0) {
        fprintf(stderr, "flowsim gen: %s\n", err);
        return 2;
    }
    return 0;
}

/* The value of an option given as "--opt VALUE" or "--opt=VALUE". */
static const char *opt_value(int argc, char **argv, int *i, const char *name, int *bad)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n))
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n])
        return NULL;
    if (*i + 1 >= argc) {
        fprintf(stderr, "flowsim gen: option %s needs a value\n", name);
        *bad = 1;
        return NULL;
    }
    return argv[++*i];
}

int fs_gen_main(int argc, char **argv)
{
    const char *profile = NULL, *out = NULL, *seed_s = NULL;
    int usec = 0, nlists = 0;
    const char **lists = calloc((size_t)argc + 1, sizeof *lists);
    if (!lists) {
        fprintf(stderr, "flowsim gen: out of memory\n");
        return 2;
    }
    int rc = 0;
    for (int i = 1; i < argc && rc == 0; i++) {
        const char *a = argv[i], *v;
        int bad = 0;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            free(lists);
            return print_help();
        } else if (!strcmp(a, "--list")) {
            free(lists);
            return print_list();
        } else if (!strcmp(a, "--usec")) {
            usec = 1;
        } else if ((v = opt_value(argc, argv, &i, "--profile", &bad)) != NULL) {
            profile = v;
        } else if ((v = opt_value(argc, argv, &i, "--seed", &bad)) != NULL) {
            seed_s = v;
        } else if ((v = opt_value(argc, argv, &i, "-o", &bad)) != NULL ||
                   (!bad && (v = opt_value(argc, argv, &i, "--out", &bad)) != NULL)) {
            out = v;
        } else if ((v = opt_value(argc, argv, &i, "-p", &bad)) != NULL ||
                   (!bad && (v = opt_value(argc, argv, &i, "--param", &bad)) != NULL)) {
            lists[nlists++] = v;
        } else if (!bad) {
            fprintf(stderr, "flowsim gen: unknown option '%s' (flowsim gen --help)\n", a);
            rc = 1;
        }
        if (bad)
            rc = 1;
    }
    if (rc == 0 && !out) {
        fprintf(stderr, "flowsim gen: missing -o OUT.pcap (flowsim gen --help)\n");
        rc = 1;
    }
    uint64_t seed = GEN_DEFAULT_SEED;
    if (rc == 0 && seed_s && fs_parse_count(seed_s, &seed)) {
        fprintf(stderr, "flowsim gen: --seed %s: not a whole number >= 0\n", seed_s);
        rc = 1;
    }
    char err[GEN_ERRLEN];
    fs_gen_params p;
    int have_params = 0;
    if (rc == 0) {
        if (fs_gen_params_init(&p, err, sizeof err)) {
            fprintf(stderr, "flowsim gen: %s\n", err);
            free(lists);
            return 2;
        }
        have_params = 1;
        if (profile && fs_gen_profile_apply(&p, profile, err, sizeof err))
            rc = 1;
        if (rc == 0 && usec)
            p.tstamp = FS_GEN_TS_US;
        for (int k = 0; rc == 0 && k < nlists; k++)
            if (fs_gen_params_set_list(&p, lists[k], "-p", err, sizeof err))
                rc = 1;
        if (rc == 0 && fs_gen_params_check(&p, err, sizeof err))
            rc = 1;
        if (rc)
            fprintf(stderr, "flowsim gen: %s\n", err);
    }
    if (rc == 0) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        fs_gen_totals t;
        if (fs_gen_write(&p, seed, profile, out, &t, err, sizeof err)) {
            fprintf(stderr, "flowsim gen: %s\n", err);
            rc = 2;
        } else {
            clock_gettime(CLOCK_MONOTONIC, &t1);
            double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
            printf("%s: %llu packets, %llu flows, %llu IP bytes, generated in %.2f s "
                   "(sidecar %s.json)\n", out, (unsigned long long)t.packets,
                   (unsigned long long)t.flows, (unsigned long long)t.bytes_ip, secs, out);
        }
    }
    if (have_params)
        fs_gen_params_free(&p);
    free(lists);
    return rc;
}
