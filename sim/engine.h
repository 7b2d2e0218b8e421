/* flowsim — the engine: pipelines, the observation stage and the single pass
 * over the traces that feeds every pipeline and replicate (decode once,
 * meter many), then the outputs of a run.
 *
 * A pipeline is an algorithm with its parameters plus the stages every
 * algorithm shares: the observation stage (timestamp model, packet filter,
 * packet selection, snap length), the flow key configuration and the export
 * model. Its spec is `name[:param=value,...][|stage[:param=value,...]]...`;
 * the algorithm's parameters are looked up in its table, then in the common
 * table (fs_common_params_def); each record stage has its own table.
 */
#ifndef FS_ENGINE_H
#define FS_ENGINE_H

#include "algo.h"
#include "params.h"

/* Parameters every pipeline has, whatever its algorithm. */
typedef struct fs_common {
    fs_ns    ts_res, ts_jitter;
    char    *filter;
    int      psamp;
    double   psamp_rate;
    uint64_t psamp_n;
    uint64_t snaplen;
    int      key_tos, key_vlan, key_bidir;
    int      export_fmt;
    uint64_t mtu;
    fs_ns    export_delay;
    uint64_t template_refresh;
    int      export_l3;
    uint64_t entry_bytes;
} fs_common;
extern const fs_param_def fs_common_params_def[];
extern const size_t fs_common_nparams;

#define FS_MAX_STAGES 8
#define FS_MAX_EXPORTS 8

typedef struct fs_stage_spec {
    const fs_stage *stage;
    void           *params;  /* stage->params_size bytes */
} fs_stage_spec;

typedef struct fs_pipeline_spec {
    const fs_algo *algo;
    void     *aparams;      /* algo->params_size bytes */
    fs_common common;
    fs_stage_spec stages[FS_MAX_STAGES];
    int       nstages;
    char     *spec;         /* as given                                    */
    char     *label;        /* "netflow" + non-default params, canonical   */
    char     *params_csv;   /* non-default params, "name=value;name=value"  */
    char     *params_all;   /* every param, defaults filled, same form     */
    /* --export FORMAT:DEST of this pipeline (replicate 0 sends; see
     * export.h); set by the command line after fs_pipeline_parse, not owned */
    const char *exports[FS_MAX_EXPORTS];
    int       nexports;
} fs_pipeline_spec;

int  fs_pipeline_parse(const char *spec, fs_pipeline_spec *out, char *err, size_t errlen);
void fs_pipeline_free(fs_pipeline_spec *p);

/* Parameters of a run (command-line options of `flowsim run`). */
typedef struct fs_run_cfg {
    fs_ns    bin;
    uint64_t seeds;
    uint64_t seed;
    char    *replicate_seed; /* "none", or the one replicate's seed (text) */
    uint64_t topk;
    uint64_t prefix4, prefix6;
    int      bin_rows;
    int      key_totals;   /* enum fs_key_totals (eval.h)    */
    double   partial_close;/* fraction; 0 = never (eval.h)   */
    int      records;      /* none, first (replicate 0), all */
    int      timeseries;   /* none, first, all               */
    char    *truth_cache;  /* directory, or "off"            */
    char    *decode_cache; /* directory, "auto" or "off"     */
    char    *out;          /* output directory               */
    int      progress;     /* 0 no, 1 yes, 2 auto (terminal) */
    int      quiet;        /* no summary table on stdout     */
    double   warn_unmetered; /* fraction of frames (unmetered.h) */
} fs_run_cfg;
extern const fs_param_def fs_run_params_def[];
extern const size_t fs_run_nparams;

/* Runs every pipeline over the traces in one pass and writes the outputs.
 * Returns the process exit status: 0, 1 (bad parameters: nothing run) or
 * 2 (input or output error; whatever was computed is still written). The
 * message of a failure is printed on stderr as one line. */
int fs_run(const fs_run_cfg *cfg, const char *const *traces, int ntraces,
           fs_pipeline_spec *specs, int nspecs, int argc, char **argv);

/* `flowsim info` */
int fs_info(const char *const *traces, int ntraces, int json);

#endif
