/* flowsim — micro-benchmark cases: plain C over the engine's C API, driven
 * by the Google Benchmark shim in micro.cc (the only C++ in the project).
 *
 * Every case prepares its inputs in memory first (untimed) and then runs a
 * batch of operations per call; micro.cc times the calls and reports
 * operations per second. Nothing here allocates in the timed loops.
 *
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
 */
#ifndef FS_BENCH_CASES_H
#define FS_BENCH_CASES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Packets per timed call of the batch functions below. */
#define BC_BATCH 1024

/* ---- machine and build, for the benchmark context ---- */
const char *bc_git_commit(void);
/* CPU model name from /proc/cpuinfo ("unknown" if not found). */
void bc_cpu_model(char *buf, size_t n);

/* ---- meters: one registered algorithm fed in-memory packets ----------------
 * Flows are UDP/TCP IPv4 5-tuples without FIN/RST, timestamps advance 1 ns
 * per packet from a fixed epoch, so nothing expires: all `nflows` flows stay
 * live (for sampled meters: those the sampler picked). The meter is built
 * with the algorithm's defaults plus entries = 2 * nflows when the algorithm
 * has an `entries` parameter, and warmed by one round-robin pass over every
 * flow before any timing. */
enum bc_dist { BC_ROUND_ROBIN = 0, BC_ZIPF = 1 };

/* The packet arrays of a flow count are shared by the cases of that count
 * and kept until another count is asked for; this frees them (when no case
 * holds them). */
void bc_streams_drop(void);

size_t      bc_algo_count(void);
const char *bc_algo_name(size_t i);

typedef struct bc_meter bc_meter;
/* NULL with a message in msg if the algorithm cannot be set up (a parameter
 * without a usable default, out of memory). */
bc_meter *bc_meter_new(size_t algo, uint64_t nflows, char *msg, size_t msglen);
void      bc_meter_free(bc_meter *m);
/* Meters BC_BATCH packets of the given flow choice. */
void      bc_meter_batch(bc_meter *m, int dist);
uint64_t  bc_meter_live(const bc_meter *m);
uint64_t  bc_meter_records(const bc_meter *m);

/* ---- ground truth: fs_truth_packet on the same packets ---- */
typedef struct bc_truth bc_truth;
bc_truth *bc_truth_new(uint64_t nflows, char *msg, size_t msglen);
void      bc_truth_free(bc_truth *t);
void      bc_truth_batch(bc_truth *t, int dist);
uint64_t  bc_truth_flows(const bc_truth *t);

/* ---- evaluation: records against the truth --------------------------------
 * bc_eval: fs_eval_record (a NetFlow record's estimate added to the bin's
 * per-key table) for records of the same flows, the truth holding nflows
 * flows. bc_evalfin: the end-of-bin work, fs_truth_finish + fs_eval_finish
 * (per-key comparison, aggregates, top-k, rows to /dev/null) for one bin of
 * nflows flows; prepare is untimed, finish is the timed part. */
typedef struct bc_eval bc_eval;
bc_eval *bc_eval_new(uint64_t nflows, char *msg, size_t msglen);
void     bc_eval_free(bc_eval *e);
void     bc_eval_batch(bc_eval *e, int dist);

typedef struct bc_evalfin bc_evalfin;
bc_evalfin *bc_evalfin_prepare(uint64_t nflows, char *msg, size_t msglen);
void        bc_evalfin_finish(bc_evalfin *f);
void        bc_evalfin_free(bc_evalfin *f);

/* ---- sampler: fs_sampler_take, random (geometric skips) or systematic ---- */
typedef struct bc_sampler bc_sampler;
bc_sampler *bc_sampler_new(int systematic, uint64_t N, char *msg, size_t msglen);
void        bc_sampler_free(bc_sampler *s);
/* Returns the packets taken in this batch. */
uint64_t    bc_sampler_batch(bc_sampler *s);

/* ---- decoding: fs_decode over pre-built frames of one link type ---- */
enum bc_link { BC_ETH, BC_ETH_VLAN, BC_ETH_V6, BC_SLL, BC_SLL2, BC_RAW4, BC_RAW6, BC_NULL,
               BC_LINK__COUNT };
const char *bc_link_name(int link);
typedef struct bc_decode bc_decode;
bc_decode *bc_decode_new(int link, char *msg, size_t msglen);
void       bc_decode_free(bc_decode *d);
/* Returns how many frames decoded into packets (all of them, if right). */
uint64_t   bc_decode_batch(bc_decode *d);

/* ---- flow-key hashing: fs_key_hash over pre-built keys ---- */
typedef struct bc_hash bc_hash;
bc_hash *bc_hash_new(int ipv6);
void     bc_hash_free(bc_hash *h);
uint64_t bc_hash_batch(bc_hash *h);

/* ---- trace reading: fs_reader over a pcap, or replaying its decoded-trace cache
 * The file: 1,000,000 packets of 100,000 flows (IPv4, headers-only Ethernet
 * frames, 1 ns apart), written once into a temporary directory that is
 * removed at exit, and its decoded-trace cache written there by one pass of
 * the reader. BC_READ_DCACHE opens the reader with decode_cache set (the
 * path the engine takes with --decode-cache) and fails unless it replays;
 * BC_READ_DCACHE_NEXT replays the same cache file with fs_dcache_r_next
 * alone (what the reader adds around it is the difference). */
enum bc_rsrc { BC_READ_PCAP = 0, BC_READ_DCACHE = 1, BC_READ_DCACHE_NEXT = 2 };
typedef struct bc_reader bc_reader;
bc_reader *bc_reader_new(int src, char *msg, size_t msglen);
void       bc_reader_free(bc_reader *r);
/* Reads up to BC_BATCH packets with fs_reader_next; returns how many (fewer
 * at the end of the file: bc_reader_rewind before the next batch), -1 on a
 * read error. */
int        bc_reader_batch(bc_reader *r);
/* Closes and reopens the reader at the start of the file (the open checks
 * a cache file whole: keep it out of the timing). 0, or -1 with a message. */
int        bc_reader_rewind(bc_reader *r, char *msg, size_t msglen);
uint64_t   bc_reader_file_packets(void);

/* ---- replay + netflow: the engine's main loop over a decoded-trace cache -------
 * A pcap of the nflows flows of the meter cases taken round-robin (2M
 * packets, or one per flow above 2M flows), its decoded-trace cache written
 * untimed, then replayed through fs_reader with decode_cache set and metered
 * by netflow (defaults plus entries = 2 * nflows) as sim/engine.c does it:
 * batches of 16 packets, each keyed (default key configuration, the hash
 * from the cache), the meter's prefetch hint step 0 for the batch, then step
 * 1, then packet() in order with advance() when due. prefetch = 0 skips the
 * hints. Every flow is made live first by one untimed pass. Each pass over
 * the file after the first has its timestamps shifted past the previous, so
 * time only moves forward. */
typedef struct bc_replay bc_replay;
bc_replay *bc_replay_new(uint64_t nflows, char *msg, size_t msglen);
void       bc_replay_free(bc_replay *r);
/* Meters up to BC_BATCH packets; returns how many (fewer at the end of the
 * file: bc_replay_rewind before the next batch), -1 on a read error. */
int        bc_replay_batch(bc_replay *r, int prefetch);
int        bc_replay_rewind(bc_replay *r, char *msg, size_t msglen);
uint64_t   bc_replay_live(const bc_replay *r);

#ifdef __cplusplus
}
#endif
#endif
