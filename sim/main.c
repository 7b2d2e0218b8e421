/* flowsim — command-line front end. The only place that calls exit().
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algo.h"
#include "bigmem.h"
#include "fdlimit.h"
#include "engine.h"
#include "eval.h"
#include "gen.h"
#include "params.h"
#include "rng.h"
#include "sweep.h"
#include "wire.h"

static void usage(FILE *f)
{
    fprintf(f,
        "flowsim " FS_VERSION " - trace-driven simulator of flow measurement\n"
        "\n"
        "usage:\n"
        "  flowsim info TRACE... [--json]      packets, bytes, duration, flows, link type,\n"
        "                                      decode counts by reason\n"
        "  flowsim algorithms [NAME]           algorithms and their parameters (unit, default,\n"
        "                                      meaning), and the parameters every pipeline has\n"
        "  flowsim run TRACE... -m SPEC [-m SPEC]... [options]\n"
        "                                      meter every pipeline and replicate in one pass\n"
        "  flowsim metrics                     the metric names of results.csv and their meaning\n"
        "  flowsim sweep FILE [-j N] [--slurm] [--collect]\n"
        "                                      parameter sweeps from a sweep file, locally or as a\n"
        "                                      Slurm job array (flowsim sweep --help, docs/sweep.md)\n"
        "  flowsim gen ...                     synthetic traces (flowsim gen --help)\n"
        "  flowsim version\n"
        "\n"
        "SPEC = ALGORITHM[:param=value,...], e.g.\n"
        "  'netflow:inactive=15s,active=30m,entries=65536'\n"
        "  'sampled-netflow:rate=1/100,mode=random'\n"
        "  'netflow:psamp=random,psamp_rate=0.01,filter=\"tcp port 80\"'\n"
        "  'sampled-netflow:rate=1/10|uniform:rate=1/4'   (record stages after the meter)\n"
        "Values take units: durations 15s 30m 250ms 1h inf; counts 65536 64k 64Ki 2M;\n"
        "probabilities 1/100 0.01 1%%; yes/no.\n"
        "\n"
        "run options (each also written into the run's manifest):\n");
    for (size_t i = 0; i < fs_run_nparams; i++) {
        const fs_param_def *d = &fs_run_params_def[i];
        char opt[64];
        snprintf(opt, sizeof opt, "--%s %s", d->name,
                 d->type == FS_P_BOOL ? "" : d->unit && *d->unit ? d->unit : "X");
        for (char *c = opt; *c; c++)
            if (*c == '_')
                *c = '-';
        fprintf(f, "  %-26s %s (default %s)\n", opt, d->help, d->def);
    }
    fprintf(f, "  %-26s the same as --quiet=yes (yes/no options take =VALUE)\n", "-q, --quiet");
    fprintf(f,
        "  --export FORMAT:DEST       send the records of the -m pipeline given just before it\n"
        "                             (replicate 0 only; may be repeated): FORMAT v5, v9, ipfix\n"
        "                             (datagrams exactly as export_bytes_<fmt> counts them; v5\n"
        "                             carries no IPv6), jsonl or csv; DEST udp://HOST:PORT,\n"
        "                             udp://[IPv6]:PORT, file:PATH or - (stdout, no summary\n"
        "                             table), e.g. -m netflow --export ipfix:udp://127.0.0.1:4739;\n"
        "                             a file that is an input trace or another output is refused\n");
    fprintf(f,
        "\nOutputs in --out: manifest.json, results.csv (tidy: pipeline,algorithm,params,\n"
        "replicate,seed,bin,aggregate,key,metric,value,estimand; flowsim metrics), timeseries.csv,\n"
        "records/pN_rK.csv. The summary table on stdout prints [TAG] instead of an error that\n"
        "is biased by design (estimand biased:TAG) and * after one unbiased under a condition.\n"
        "Each replicate draws from " FS_RNG_RULE ";\n"
        "seeds are 64-bit. --replicate-seed SEED -m SPEC reruns the replicate whose seed\n"
        "column is SEED: the same rows, numbered p0, replicate 0.\n"
        "Exit status: 0 ok, 1 bad parameters, 2 input/output error (results up to the error\n"
        "are still written).\n");
}

static void print_params(const fs_param_def *defs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const fs_param_def *d = &defs[i];
        char rng[256];
        fs_param_describe_range(d, rng, sizeof rng);
        printf("    %-16s default %-12s unit %-20s\n", d->name, *d->def ? d->def : "\"\"",
               d->unit && *d->unit ? d->unit : "-");
        printf("        %s\n        accepts %s\n", d->help, rng);
    }
}

static int cmd_algorithms(int argc, char **argv)
{
    if (argc > 2) {
        fprintf(stderr, "flowsim algorithms: expected at most one NAME\n");
        return 1;
    }
    const char *only = argc == 2 ? argv[1] : NULL;
    const fs_stage *ost = only ? fs_stage_find(only) : NULL;
    if (ost) {
        printf("%s (record stage)\n    %s\n  notes: %s\n  parameters:\n", ost->name,
               ost->summary, ost->notes);
        print_params(ost->params, ost->nparams);
        return 0;
    }
    if (only && !fs_algo_find(only)) {
        char pn[128];
        fprintf(stderr, "flowsim algorithms: unknown algorithm '%s' (known:",
                fs_printable(only, pn, sizeof pn));
        for (size_t i = 0; i < fs_algo_count(); i++)
            fprintf(stderr, " %s", fs_algo_at(i)->name);
        fprintf(stderr, ")\n");
        return 1;
    }
    for (size_t i = 0; i < fs_algo_count(); i++) {
        const fs_algo *a = fs_algo_at(i);
        if (only && strcmp(a->name, only))
            continue;
        printf("%s\n    %s\n", a->name, a->summary);
        if (only) {
            printf("  notes: %s\n", a->notes);
            printf("  parameters:\n");
            print_params(a->params, a->nparams);
        } else {
            printf("    parameters:");
            for (size_t j = 0; j < a->nparams; j++)
                printf(" %s=%s", a->params[j].name, a->params[j].def);
            printf("\n");
        }
        printf("\n");
    }
    for (size_t i = 0; i < fs_stage_count(); i++) {
        const fs_stage *st = fs_stage_at(i);
        if (only)
            continue;
        if (i == 0)
            printf("record stages (append to a pipeline as |STAGE[:param=value,...]):\n");
        printf("  %s\n      %s\n      parameters:", st->name, st->summary);
        for (size_t j = 0; j < st->nparams; j++)
            printf(" %s=%s", st->params[j].name, st->params[j].def);
        printf("\n");
    }
    if (!only && fs_stage_count())
        printf("\n");
    printf("parameters every pipeline has (observation stage, flow key, export, memory model):\n");
    print_params(fs_common_params_def, fs_common_nparams);
    if (!only)
        printf("\nflowsim algorithms NAME shows one algorithm's parameters in full.\n");
    return 0;
}

static int cmd_metrics(void)
{
    for (int m = 0; m < FS_M__COUNT; m++)
        printf("%-26s %s\n", fs_metric_name[m], fs_metric_help[m]);
    printf("%-26s %s\n", "mem_peak_entries", "peak entries the meter's memory holds or reserves "
           "(bin all); adaptive-netflow: both banks of its double buffer (the largest sum of "
           "two consecutive bin peaks; one bank: meter_bank_peak_entries)");
    printf("%-26s %s\n", "mem_mean_entries", "time-averaged entries as mem_peak_entries counts "
           "them, first to last packet");
    printf("%-26s %s\n", "mem_peak_bytes", "mem_peak_entries x (entry_bytes + the meter's "
           "bytes per entry beyond it: flow-slices with tbin, (n-1) x 8 bytes for its n "
           "counter pairs)");
    printf("%-26s %s\n", "mem_mean_bytes", "mem_mean_entries x the same bytes per entry");
    printf("%-26s %s\n", "export_records", "records exported (aggregate reason: by expiry reason)");
    printf("%-26s %s\n", "export_datagrams", "datagrams in the pipeline's export format");
    printf("%-26s %s\n", "export_bytes", "bytes of those datagrams");
    printf("%-26s %s\n", "export_bytes_<fmt>", "bytes in format v5, v9, ipfix");
    printf("%-26s %s\n", "export_datagrams_<fmt>", "datagrams in format v5, v9, ipfix");
    printf("%-26s %s\n", "export_v5_ipv6_records", "IPv6 records (v5 cannot carry them: not sent, not in export_bytes_v5)");
    printf("%-26s %s\n", "export_mean_bytes_per_s", "export_bytes / trace duration");
    printf("%-26s %s\n", "export_peak_bytes_per_s", "largest export bytes in one second of trace time");
    printf("%-26s %s\n", "export_peak_records_per_s", "largest records exported in one second");
    printf("%-26s %s\n", "obs_packets", "packets seen by the observation stage");
    printf("%-26s %s\n", "obs_filtered", "packets dropped by the filter");
    printf("%-26s %s\n", "obs_unselected", "packets not selected by psamp");
    printf("%-26s %s\n", "obs_truncated_ip", "packets lost because snaplen cut the IP header");
    printf("%-26s %s\n", "obs_truncated_l4", "packets whose ports snaplen cut (ports read as 0)");
    printf("%-26s %s\n", "obs_ts_clamped", "timestamps raised to keep time non-decreasing");
    printf("%-26s %s\n", "late_contributions", "estimates for bins already evaluated, or for keys a bin closed in part no longer held (must be 0)");
    printf("%-26s %s\n", "bins_closed_in_part", "analysis bins closed in part while live entries could still add to them (run option partial_close)");
    printf("%-26s %s\n", "bins", "analysis bins evaluated");
    printf("%-26s %s\n", "meter_*", "counters of the algorithm (see flowsim algorithms NAME)");
    printf("\nThe last column of results.csv, estimand, says what the row's estimate estimates,\n"
           "as the pipeline declares it for its configuration (docs/algorithms.md §2.8); it is\n"
           "set on the rows of an estimate or of its error, by quantity:\n");
    for (int q = 0; q < FS_Q__COUNT; q++) {
        printf("  %-13s", fs_quantity_names[q]);
        for (int m = 0; m < FS_M__COUNT; m++)
            if (fs_metric_quantity[m] == q)
                printf(" %s", fs_metric_name[m]);
        printf("\n");
    }
    printf("and empty on truths, diagnostics and counters. Values:\n"
           "  unbiased          unbiased for the truth it is scored against\n"
           "  unbiased-if:TAG   unbiased if the trace meets condition TAG (one-syn: at most\n"
           "                    one SYN packet per TCP flow and bin, see true_multi_syn_flows;\n"
           "                    one-record-per-flow; no-refused-packets; + joins them)\n"
           "  biased:TAG        biased by design: TAG says what it counts instead (e.g.\n"
           "                    sampled-flows, records-not-flows, tcp-records); its rel_err is\n"
           "                    not an error of the estimator: do not average it with others\n"
           "  na                no estimate (nan)\n"
           "Bytes and packets of a record that spans analysis bins are apportioned to them:\n"
           "per bin unbiased-if:records-within-bins (else binning error); rows of bin all from\n"
           "sums over bins (est_*, rel_err_*, est_*_se; wmre and top-k with key_totals trace)\n"
           "keep the estimate's own status. The summary table on stdout (bin all) prints\n"
           "[TAG] instead of a biased error, and * after a conditionally unbiased one.\n");
    return 0;
}

static int cmd_run(int argc, char **argv)
{
    fs_run_cfg cfg;
    char err[1024];
    if (fs_params_defaults(fs_run_params_def, fs_run_nparams, &cfg, err, sizeof err)) {
        fprintf(stderr, "flowsim: %s\n", err);
        return 1;
    }
    static struct option opts[32];
    size_t no = 0;
    char names[32][32];
    for (size_t i = 0; i < fs_run_nparams && no < 28; i++, no++) {
        snprintf(names[no], sizeof names[no], "%s", fs_run_params_def[i].name);
        for (char *c = names[no]; *c; c++)
            if (*c == '_')
                *c = '-';
        /* yes/no options may stand alone (--quiet); the others need a value */
        int optional = fs_run_params_def[i].type == FS_P_BOOL;
        opts[no] = (struct option){names[no], optional ? optional_argument : required_argument,
                                   NULL, 1000 + (int)i};
    }
    opts[no++] = (struct option){"help", no_argument, NULL, 'h'};
    opts[no++] = (struct option){"export", required_argument, NULL, 'E'};
    opts[no] = (struct option){0, 0, 0, 0};
    const char **specs = calloc((size_t)argc, sizeof *specs);
    const char **traces = calloc((size_t)argc, sizeof *traces);
    /* --export FORMAT:DEST, per pipeline (the -m before it) */
    const char *(*exps)[FS_MAX_EXPORTS] = calloc((size_t)argc, sizeof *exps);
    int *nexps = calloc((size_t)argc, sizeof *nexps);
    int nspecs = 0, ntraces = 0, status = 1, to_stdout = 0;
    if (!specs || !traces || !exps || !nexps)
        goto out;
    optind = 1;
    opterr = 0; /* one message, ours, for an unknown option or a missing value */
    int c;
    while ((c = getopt_long(argc, argv, "-:m:qh", opts, NULL)) != -1) {
        if (c == 1) {
            traces[ntraces++] = optarg;
        } else if (c == 'm') {
            specs[nspecs++] = optarg;
        } else if (c == 'E') {
            int xf, xd;
            char xt[8];
            if (!nspecs) {
                fprintf(stderr, "flowsim run: --export '%s' before any -m: it applies to the "
                        "pipeline given just before it (-m SPEC --export FORMAT:DEST)\n", optarg);
                goto out;
            }
            if (fs_wire_dest_parse(optarg, &xf, &xd, xt, sizeof xt, err, sizeof err)) {
                fprintf(stderr, "flowsim run: %s\n", err);
                goto out;
            }
            if (nexps[nspecs - 1] == FS_MAX_EXPORTS) {
                fprintf(stderr, "flowsim run: --export '%s': at most %d per pipeline\n", optarg,
                        FS_MAX_EXPORTS);
                goto out;
            }
            if (xd == FS_DEST_STDOUT && to_stdout++) {
                fprintf(stderr, "flowsim run: --export '%s': only one --export may write to "
                        "stdout\n", optarg);
                goto out;
            }
            exps[nspecs - 1][nexps[nspecs - 1]++] = optarg;
        } else if (c == 'q') {
            cfg.quiet = 1;
        } else if (c == 'h') {
            usage(stdout);
            status = 0;
            goto out;
        } else if (c >= 1000) {
            const fs_param_def *d = &fs_run_params_def[c - 1000];
            const char *v = optarg ? optarg : "yes";
            char ctx[64];
            snprintf(ctx, sizeof ctx, "option --%s", opts[c - 1000].name);
            if (fs_param_set(d, &cfg, v, ctx, err, sizeof err)) {
                fprintf(stderr, "flowsim run: %s\n", err);
                goto out;
            }
        } else if (c == ':') {
            fprintf(stderr, "flowsim run: option %s needs a value (flowsim --help)\n",
                    argv[optind - 1]);
            goto out;
        } else {
            fprintf(stderr, "flowsim run: unknown option '%s' (flowsim --help)\n",
                    optopt ? (char[]){'-', (char)optopt, 0} : argv[optind - 1]);
            goto out;
        }
    }
    for (; optind < argc; optind++)
        traces[ntraces++] = argv[optind];
    if (!ntraces) {
        fprintf(stderr, "flowsim run: no trace given (flowsim run TRACE... -m SPEC)\n");
        goto out;
    }
    if (!nspecs) {
        fprintf(stderr, "flowsim run: no pipeline given (-m ALGORITHM[:param=value,...])\n");
        goto out;
    }
    fs_pipeline_spec *ps = calloc((size_t)nspecs, sizeof *ps);
    if (!ps)
        goto out;
    int ok = 1;
    for (int i = 0; i < nspecs && ok; i++) {
        if (fs_pipeline_parse(specs[i], &ps[i], err, sizeof err)) {
            fprintf(stderr, "flowsim run: %s\n", err);
            ok = 0;
        }
        memcpy(ps[i].exports, exps[i], sizeof ps[i].exports);
        ps[i].nexports = nexps[i];
    }
    if (to_stdout)
        cfg.quiet = 1;   /* stdout carries the records, not the summary table */
    if (ok)
        status = fs_run(&cfg, traces, ntraces, ps, nspecs, argc, argv);
    for (int i = 0; i < nspecs; i++)
        fs_pipeline_free(&ps[i]);
    free(ps);
out:
    fs_params_free(fs_run_params_def, fs_run_nparams, &cfg);
    free(specs);
    free(traces);
    free(exps);
    free(nexps);
    return status;
}

static int cmd_info(int argc, char **argv)
{
    const char **traces = calloc((size_t)argc, sizeof *traces);
    int n = 0, json = 0;
    if (!traces)
        return 2;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "flowsim info: unknown option '%s'\n", argv[i]);
            free(traces);
            return 1;
        } else
            traces[n++] = argv[i];
    }
    int rc;
    if (!n) {
        fprintf(stderr, "flowsim info: no trace given\n");
        rc = 1;
    } else {
        rc = fs_info(traces, n, json);
    }
    free(traces);
    return rc;
}

int main(int argc, char **argv)
{
    fs_malloc_tune();
    /* a run keeps a temporary file per pipeline-replicate (fdlimit.h) */
    fs_fdlimit_raise();
    if (argc < 2) {
        usage(stderr);
        return 1;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("flowsim %s\n", FS_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "info"))
        return cmd_info(argc - 1, argv + 1);
    if (!strcmp(cmd, "algorithms"))
        return cmd_algorithms(argc - 1, argv + 1);
    if (!strcmp(cmd, "metrics"))
        return cmd_metrics();
    if (!strcmp(cmd, "run"))
        return cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "sweep"))
        return fs_sweep_main(argc - 1, argv + 1);
    if (!strcmp(cmd, "gen"))
        return fs_gen_main(argc - 1, argv + 1);
    char pc[128];
    cmd = fs_printable(cmd, pc, sizeof pc);
    fprintf(stderr, "flowsim: unknown command '%s' (info, algorithms, run, sweep, metrics, gen, version; "
                    "flowsim --help)\n", cmd);
    return 1;
}
