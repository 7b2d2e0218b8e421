// flowsim — micro-benchmarks: the Google Benchmark shim over bench/cases.c.
// The only C++ in the project; every case it times is C (cases.c over the
// engine's C API). See bench/README.md.
//
// Extra flags (before the Google Benchmark ones):
//   --bench_max_flows=N   largest live-flow count of the meter, truth and replay cases
//                         (default 10000000; BENCH_QUICK uses 1000000)
//   --bench_summary=PATH  also write a plain-text table of the medians there
//
// Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "cases.h"

namespace {

const uint64_t kFlowCounts[] = {10000, 100000, 1000000, 10000000};
uint64_t g_max_flows = 10000000;

// One prepared fixture at a time (a 10M-flow meter holds gigabytes): the
// benchmarks of one (case, flow count) run back to back, so each is built
// once and reused by every repetition and by both flow choices.
struct Fixture {
    std::string key;
    void *obj = nullptr;
    std::function<void(void *)> del;
    std::string error;
    void reset()
    {
        if (obj && del)
            del(obj);
        obj = nullptr;
        key.clear();
        error.clear();
    }
    template <class Make, class Del>
    void *get(const std::string &k, Make make, Del d)
    {
        if (k == key)
            return obj;
        reset();
        key = k;
        char msg[1024] = "";
        obj = make(msg, sizeof msg);
        del = d;
        if (!obj)
            error = msg;
        return obj;
    }
};
Fixture g_fix;

const char *dist_name(int d)
{
    return d == BC_ZIPF ? "zipf" : "round_robin";
}

void BM_meter(benchmark::State &state, size_t algo, int dist, uint64_t nflows)
{
    std::string k = "meter/" + std::to_string(algo) + "/" + std::to_string(nflows);
    auto *m = static_cast<bc_meter *>(g_fix.get(
        k, [&](char *msg, size_t n) -> void * { return bc_meter_new(algo, nflows, msg, n); },
        [](void *p) { bc_meter_free(static_cast<bc_meter *>(p)); }));
    if (!m) {
        state.SkipWithError(g_fix.error.c_str());
        for (auto _ : state) {
        }
        return;
    }
    for (auto _ : state)
        bc_meter_batch(m, dist);
    state.SetItemsProcessed(state.iterations() * BC_BATCH);
    state.counters["live"] = benchmark::Counter((double)bc_meter_live(m));
    state.counters["flows"] = benchmark::Counter((double)nflows);
}

void BM_truth(benchmark::State &state, int dist, uint64_t nflows)
{
    std::string k = "truth/" + std::to_string(nflows);
    auto *t = static_cast<bc_truth *>(g_fix.get(
        k, [&](char *msg, size_t n) -> void * { return bc_truth_new(nflows, msg, n); },
        [](void *p) { bc_truth_free(static_cast<bc_truth *>(p)); }));
    if (!t) {
        state.SkipWithError(g_fix.error.c_str());
        for (auto _ : state) {
        }
        return;
    }
    for (auto _ : state)
        bc_truth_batch(t, dist);
    state.SetItemsProcessed(state.iterations() * BC_BATCH);
    state.counters["live"] = benchmark::Counter((double)bc_truth_flows(t));
    state.counters["flows"] = benchmark::Counter((double)nflows);
}

void BM_eval_record(benchmark::State &state, int dist, uint64_t nflows)
{
    std::string k = "eval/" + std::to_string(nflows);
    auto *e = static_cast<bc_eval *>(g_fix.get(
        k, [&](char *msg, size_t n) -> void * { return bc_eval_new(nflows, msg, n); },
        [](void *p) { bc_eval_free(static_cast<bc_eval *>(p)); }));
    if (!e) {
        state.SkipWithError(g_fix.error.c_str());
        for (auto _ : state) {
        }
        return;
    }
    for (auto _ : state)
        bc_eval_batch(e, dist);
    state.SetItemsProcessed(state.iterations() * BC_BATCH);
    state.counters["flows"] = benchmark::Counter((double)nflows);
}

// One bin of nflows flows finalised per iteration (set up untimed).
void BM_eval_finish(benchmark::State &state, uint64_t nflows)
{
    g_fix.reset();
    for (auto _ : state) {
        state.PauseTiming();
        char msg[512];
        bc_evalfin *f = bc_evalfin_prepare(nflows, msg, sizeof msg);
        state.ResumeTiming();
        if (!f) {
            state.SkipWithError(msg);
            break;
        }
        bc_evalfin_finish(f);
        state.PauseTiming();
        bc_evalfin_free(f);
        state.ResumeTiming();
    }
    state.SetItemsProcessed(state.iterations() * (int64_t)nflows);
    state.counters["flows"] = benchmark::Counter((double)nflows);
}

void BM_sampler(benchmark::State &state, int systematic, uint64_t N)
{
    g_fix.reset();
    bc_streams_drop();
    char msg[512];
    bc_sampler *s = bc_sampler_new(systematic, N, msg, sizeof msg);
    if (!s) {
        state.SkipWithError(msg);
        for (auto _ : state) {
        }
        return;
    }
    uint64_t taken = 0;
    for (auto _ : state)
        taken += bc_sampler_batch(s);
    state.SetItemsProcessed(state.iterations() * BC_BATCH);
    double seen = (double)state.iterations() * BC_BATCH;
    state.counters["taken_frac"] = benchmark::Counter(seen > 0 ? (double)taken / seen : 0);
    bc_sampler_free(s);
}

void BM_decode(benchmark::State &state, int link)
{
    g_fix.reset();
    bc_streams_drop();
    char msg[512];
    bc_decode *d = bc_decode_new(link, msg, sizeof msg);
    if (!d) {
        state.SkipWithError(msg);
        for (auto _ : state) {
        }
        return;
    }
    uint64_t ok = 0;
    for (auto _ : state)
        ok += bc_decode_batch(d);
    benchmark::DoNotOptimize(ok);
    state.SetItemsProcessed(state.iterations() * BC_BATCH);
    bc_decode_free(d);
}

void BM_key_hash(benchmark::State &state, int ipv6)
{
    g_fix.reset();
    bc_streams_drop();
    bc_hash *h = bc_hash_new(ipv6);
    if (!h) {
        state.SkipWithError("out of memory");
        for (auto _ : state) {
        }
        return;
    }
    uint64_t acc = 0;
    for (auto _ : state)
        acc ^= bc_hash_batch(h);
    benchmark::DoNotOptimize(acc);
    state.SetItemsProcessed(state.iterations() * BC_BATCH);
    bc_hash_free(h);
}

// The timed loop of the file-fed cases: batch() returns the packets it took
// (fewer than BC_BATCH at the end of the file, -1 on error) and rewind()
// reopens the file, with the timing paused. Returns the packets counted.
template <typename Batch, typename Rewind>
int64_t run_file_batches(benchmark::State &state, Batch batch, Rewind rewind, const char *what)
{
    int64_t items = 0;
    for (auto _ : state) {
        int n = batch();
        if (n < 0) {
            state.SkipWithError(what);
            break;
        }
        items += n;
        if (n < BC_BATCH) {
            state.PauseTiming();
            char msg[1024];
            int bad = rewind(msg, sizeof msg);
            state.ResumeTiming();
            if (bad) {
                state.SkipWithError(msg);
                break;
            }
        }
    }
    return items;
}

// Reads through fs_reader; the end of the file is reopened with the timing
// paused. Process CPU time: the pcap path hashes the file (SHA-256) in a
// second thread, which is part of what reading costs.
void BM_reader(benchmark::State &state, int src)
{
    std::string k = "reader/" + std::to_string(src);
    auto *r = static_cast<bc_reader *>(g_fix.get(
        k, [&](char *msg, size_t n) -> void * { return bc_reader_new(src, msg, n); },
        [](void *p) { bc_reader_free(static_cast<bc_reader *>(p)); }));
    if (!r) {
        state.SkipWithError(g_fix.error.c_str());
        for (auto _ : state) {
        }
        return;
    }
    int64_t items = run_file_batches(
        state, [&] { return bc_reader_batch(r); },
        [&](char *msg, size_t n) { return bc_reader_rewind(r, msg, n); }, "read error");
    state.SetItemsProcessed(items);
    state.counters["file_pkts"] = benchmark::Counter((double)bc_reader_file_packets());
}

// A decoded-trace cache replayed through fs_reader and metered by netflow in
// the engine's batches (with or without the prefetch hints); the end of the
// file is reopened with the timing paused.
void BM_replay(benchmark::State &state, int prefetch, uint64_t nflows)
{
    std::string k = "replay/" + std::to_string(nflows);
    auto *r = static_cast<bc_replay *>(g_fix.get(
        k,
        [&](char *msg, size_t n) -> void * {
            bc_streams_drop();
            return bc_replay_new(nflows, msg, n);
        },
        [](void *p) { bc_replay_free(static_cast<bc_replay *>(p)); }));
    if (!r) {
        state.SkipWithError(g_fix.error.c_str());
        for (auto _ : state) {
        }
        return;
    }
    int64_t items = run_file_batches(
        state, [&] { return bc_replay_batch(r, prefetch); },
        [&](char *msg, size_t n) { return bc_replay_rewind(r, msg, n); }, "replay error");
    state.SetItemsProcessed(items);
    state.counters["live"] = benchmark::Counter((double)bc_replay_live(r));
    state.counters["flows"] = benchmark::Counter((double)nflows);
}

void register_all()
{
    // Outer loop over flow counts: the cases of one count share its packet
    // arrays (built once). Per-packet meter update of every registered
    // algorithm (fs_algo_at), so new algorithms are measured without
    // editing this file; then the ground truth and the evaluation.
    for (uint64_t n : kFlowCounts) {
        if (n > g_max_flows)
            continue;
        for (size_t a = 0; a < bc_algo_count(); a++)
            for (int d : {BC_ROUND_ROBIN, BC_ZIPF}) {
                std::string name = std::string("meter/") + bc_algo_name(a) + "/" +
                                   dist_name(d) + "/flows:" + std::to_string(n);
                benchmark::RegisterBenchmark(name.c_str(), BM_meter, a, d, n);
            }
        for (int d : {BC_ROUND_ROBIN, BC_ZIPF}) {
            std::string name = std::string("truth/") + dist_name(d) + "/flows:" + std::to_string(n);
            benchmark::RegisterBenchmark(name.c_str(), BM_truth, d, n);
        }
        for (int d : {BC_ROUND_ROBIN, BC_ZIPF}) {
            std::string name =
                std::string("eval_record/") + dist_name(d) + "/flows:" + std::to_string(n);
            benchmark::RegisterBenchmark(name.c_str(), BM_eval_record, d, n);
        }
        for (int pf : {1, 0}) {
            std::string name = std::string(pf ? "replay_netflow" : "replay_netflow_noprefetch") +
                               "/flows:" + std::to_string(n);
            benchmark::RegisterBenchmark(name.c_str(), BM_replay, pf, n);
        }
    }
    for (uint64_t n : {10000, 100000}) {
        std::string name = "eval_finish_bin/flows:" + std::to_string(n);
        benchmark::RegisterBenchmark(name.c_str(), BM_eval_finish, n);
    }
    for (int sys : {0, 1})
        for (uint64_t N : {10, 100, 1000}) {
            std::string name = std::string("sampler/") + (sys ? "systematic" : "random") +
                               "/1in" + std::to_string(N);
            benchmark::RegisterBenchmark(name.c_str(), BM_sampler, sys, N);
        }
    for (int l = 0; l < BC_LINK__COUNT; l++) {
        std::string name = std::string("decode/") + bc_link_name(l);
        benchmark::RegisterBenchmark(name.c_str(), BM_decode, l);
    }
    benchmark::RegisterBenchmark("key_hash/ipv4", BM_key_hash, 0);
    benchmark::RegisterBenchmark("key_hash/ipv6", BM_key_hash, 1);
    benchmark::RegisterBenchmark("reader/pcap", BM_reader, BC_READ_PCAP)->MeasureProcessCPUTime();
    benchmark::RegisterBenchmark("reader/dcache", BM_reader, BC_READ_DCACHE)
        ->MeasureProcessCPUTime();
    benchmark::RegisterBenchmark("reader/dcache_next", BM_reader, BC_READ_DCACHE_NEXT)
        ->MeasureProcessCPUTime();
}

// Console output as usual, plus a table of the medians (or of the single
// run without repetitions) written at the end.
class SummaryReporter : public benchmark::ConsoleReporter {
  public:
    explicit SummaryReporter(std::string path, OutputOptions opts)
        : ConsoleReporter(opts), path_(std::move(path))
    {
    }
    void ReportRuns(const std::vector<Run> &runs) override
    {
        for (const Run &r : runs) {
            std::string name = r.run_name.str();
            for (const std::string rt : {"/real_time", "/process_time"})
                if (name.size() > rt.size() &&
                    name.compare(name.size() - rt.size(), rt.size(), rt) == 0)
                    name.resize(name.size() - rt.size());
            Row &row = rows_[name];
            if (row.order == 0)
                row.order = ++seq_;
            if (r.error_occurred) {
                row.error = r.error_message;
                continue;
            }
            auto ips = r.counters.find("items_per_second");
            auto live = r.counters.find("live");
            if (r.run_type == Run::RT_Aggregate) {
                if (r.aggregate_name == "median" && ips != r.counters.end()) {
                    row.median = ips->second.value;
                    row.have_median = true;
                    row.reps = (int)r.repetitions;
                    if (live != r.counters.end())
                        row.live = live->second.value;
                } else if (r.aggregate_name == "cv" && ips != r.counters.end()) {
                    row.cv = ips->second.value;
                }
                continue;
            }
            if (!row.have_median)
                row.reps++;
            if (ips != r.counters.end() && !row.have_median)
                row.median = ips->second.value;
            if (live != r.counters.end() && !row.have_median)
                row.live = live->second.value;
        }
        ConsoleReporter::ReportRuns(runs);
    }
    void Finalize() override
    {
        ConsoleReporter::Finalize();
        if (path_.empty())
            return;
        FILE *f = std::fopen(path_.c_str(), "w");
        if (!f) {
            std::fprintf(stderr, "micro: cannot write %s\n", path_.c_str());
            return;
        }
        std::vector<std::pair<int, std::string>> order;
        for (auto &kv : rows_)
            order.emplace_back(kv.second.order, kv.first);
        std::sort(order.begin(), order.end());
        std::fprintf(f, "%-52s %10s %9s %6s %5s %10s\n", "benchmark", "Mitems/s", "ns/item",
                     "cv%", "reps", "live");
        for (auto &o : order) {
            const Row &r = rows_[o.second];
            if (!r.error.empty()) {
                std::fprintf(f, "%-52s skipped: %s\n", o.second.c_str(), r.error.c_str());
                continue;
            }
            char live[32] = "-";
            if (r.live >= 0)
                std::snprintf(live, sizeof live, "%.0f", r.live);
            std::fprintf(f, "%-52s %10.2f %9.2f %6.1f %5d %10s\n", o.second.c_str(),
                         r.median / 1e6, r.median > 0 ? 1e9 / r.median : 0.0, r.cv * 100,
                         r.reps, live);
        }
        // Ratios the project sets targets on, from the medians above.
        auto median_of = [&](const std::string &n) -> double {
            auto it = rows_.find(n);
            return it != rows_.end() && it->second.error.empty() ? it->second.median : 0;
        };
        double pc = median_of("reader/pcap"), dc = median_of("reader/dcache");
        if (pc > 0 && dc > 0)
            std::fprintf(f, "\nreader/dcache vs reader/pcap: %.2fx (target >= 5x)\n", dc / pc);
        for (auto &o : order) {
            const std::string pre = "replay_netflow/";
            if (o.second.compare(0, pre.size(), pre) != 0)
                continue;
            double with = median_of(o.second);
            double without =
                median_of("replay_netflow_noprefetch/" + o.second.substr(pre.size()));
            if (with > 0 && without > 0)
                std::fprintf(f, "%s: %.2f M packets/s, %.2fx of no prefetch%s\n",
                             o.second.c_str(), with / 1e6, with / without,
                             o.second == "replay_netflow/flows:1000000"
                                 ? " (target >= 20 M packets/s)"
                                 : "");
        }
        std::fclose(f);
    }

  private:
    struct Row {
        int order = 0;
        double median = 0, cv = 0, live = -1;
        bool have_median = false;
        int reps = 0;
        std::string error;
    };
    std::string path_;
    std::map<std::string, Row> rows_;
    int seq_ = 0;
};

}  // namespace

int main(int argc, char **argv)
{
    std::string summary;
    std::vector<char *> args;
    for (int i = 0; i < argc; i++) {
        if (std::strncmp(argv[i], "--bench_max_flows=", 18) == 0)
            g_max_flows = std::strtoull(argv[i] + 18, nullptr, 10);
        else if (std::strncmp(argv[i], "--bench_summary=", 16) == 0)
            summary = argv[i] + 16;
        else
            args.push_back(argv[i]);
    }
    int n = (int)args.size();
    args.push_back(nullptr);
    benchmark::Initialize(&n, args.data());
    if (benchmark::ReportUnrecognizedArguments(n, args.data()))
        return 1;

    char cpu[256];
    bc_cpu_model(cpu, sizeof cpu);
    benchmark::AddCustomContext("flowsim_git_commit", bc_git_commit());
    benchmark::AddCustomContext("cpu_model", cpu);
    benchmark::AddCustomContext("cores", std::to_string(std::thread::hardware_concurrency()));
    if (const char *note = std::getenv("BENCH_NOTE"))
        benchmark::AddCustomContext("note", note);
    {
        FILE *f = std::fopen("/proc/loadavg", "r");
        char la[128] = "";
        if (f) {
            if (std::fgets(la, sizeof la, f))
                la[std::strcspn(la, "\n")] = '\0';
            std::fclose(f);
            benchmark::AddCustomContext("loadavg_at_start", la);
        }
    }
    register_all();
    SummaryReporter rep(summary, isatty(1) ? benchmark::ConsoleReporter::OO_Defaults
                                              : benchmark::ConsoleReporter::OO_Tabular);
    benchmark::RunSpecifiedBenchmarks(&rep);
    g_fix.reset();
    bc_streams_drop();
    benchmark::Shutdown();
    return 0;
}
