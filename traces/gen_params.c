/* flowsim — synthetic trace generator: the parameter table, the checks
 * between parameters, and the named profiles (traces/profiles/NAME.prof).
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
 *
 * Every knob of the generator is one row of fs_gen_param_defs: the same
 * row gives `flowsim gen --help` its line, parses `-p name=value` and
 * profile lines, and names the value in the sidecar. Profiles are plain
 * text parsed with fs_kv_split + fs_param_set; there is no other parser.
 */
#include "gen_api.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OFF(f) offsetof(fs_gen_params, f)

static const char *const tstamp_choices[] = {"ns", "us", NULL};
static const char *const rate_shape_choices[] = {"constant", "ramp", "step", "diurnal", NULL};
static const char *const size_law_choices[] = {"pareto", "lognormal", "mixture", NULL};
static const char *const flood_kind_choices[] = {"syn", "udp", NULL};

/* Largest captured header stack: Ethernet 14 + IPv6 40 + TCP 20 bytes. A
 * non-zero snaplen below it would cut some transport headers.            */
#define GEN_MAX_HDR_BYTES 74

/* pcap stores seconds in 32 bits, so the last timestamp must fit. */
#define GEN_MAX_UNIX_S 4294967295.0

const fs_param_def fs_gen_param_defs[] = {
    /* ---- trace ---- */
    {"duration", FS_P_DURATION, OFF(duration_ns), "10s", "s",
     "Length of the trace; nothing at or after it is written.", 0, 0, NULL, FS_PF_MIN_EXCL},
    {"epoch", FS_P_COUNT, OFF(epoch_s), "1704067200", "s (Unix time)",
     "Timestamp of the trace start (default 2024-01-01 00:00:00 UTC).", 0, 4e9, NULL, 0},
    {"warmup", FS_P_DURATION, OFF(warmup_ns), "0s", "s",
     "Connections also arrive during this time before the start, so the trace opens "
     "with flows in progress whose SYN is not in it.", 0, 0, NULL, 0},
    {"snaplen", FS_P_BYTES, OFF(snaplen_bytes), "0", "bytes",
     "Frames are captured up to min(frame, snaplen) bytes; 0 captures each frame up to "
     "the end of its transport header, so no dissector sees the zero payload. Byte "
     "counts use the IP total length, which truncation does not change.",
     GEN_MAX_HDR_BYTES, 65535, NULL, FS_PF_ZERO_OK},
    {"tstamp", FS_P_ENUM, OFF(tstamp), "ns", "",
     "Timestamp precision of the pcap file (nanosecond or microsecond magic; --usec "
     "sets us).", 0, 0, tstamp_choices, 0},

    /* ---- connection arrivals ---- */
    {"flow_rate", FS_P_REAL, OFF(flow_rate), "1000", "connections/s",
     "Rate of the Poisson process of background connection arrivals at the start.",
     0, 1e8, NULL, FS_PF_MIN_EXCL},
    {"rate_shape", FS_P_ENUM, OFF(rate_shape), "constant", "",
     "How the arrival rate varies: constant; ramp (linear from flow_rate to "
     "ramp_end x flow_rate over the duration); step (x step_factor from step_at on); "
     "diurnal (flow_rate x (1 + diurnal_amp sin(2 pi (t + diurnal_phase) / "
     "diurnal_period))).", 0, 0, rate_shape_choices, 0},
    {"ramp_end", FS_P_REAL, OFF(ramp_end), "2", "x flow_rate",
     "Ramp: arrival rate at the end of the trace as a multiple of flow_rate.", 0, 1e6, NULL, 0},
    {"step_at", FS_P_DURATION, OFF(step_at_ns), "5s", "s",
     "Step: time from the start at which the arrival rate changes.", 0, 0, NULL, 0},
    {"step_factor", FS_P_REAL, OFF(step_factor), "2", "x flow_rate",
     "Step: arrival rate from step_at on as a multiple of flow_rate.", 0, 1e6, NULL, 0},
    {"diurnal_period", FS_P_DURATION, OFF(diurnal_period_ns), "24h", "s",
     "Diurnal: period of the sinusoidal arrival rate.", 0, 0, NULL, FS_PF_MIN_EXCL},
    {"diurnal_amp", FS_P_REAL, OFF(diurnal_amp), "0.5", "",
     "Diurnal: relative amplitude of the sinusoid (0: constant rate; 1: the rate "
     "touches zero).", 0, 1, NULL, 0},
    {"diurnal_phase", FS_P_DURATION, OFF(diurnal_phase_ns), "0s", "s",
     "Diurnal: time added to the trace time before taking the sine.", 0, 0, NULL, 0},

    /* ---- flow sizes ---- */
    {"size_law", FS_P_ENUM, OFF(size_law), "pareto", "",
     "Law of unidirectional flow sizes in packets: size = min(max(1, floor(X)), "
     "size_max) with "
     "X Pareto, lognormal, or a mixture (Pareto with probability mix_pareto_frac, "
     "else lognormal).", 0, 0, size_law_choices, 0},
    {"pareto_shape", FS_P_REAL, OFF(pareto_shape), "1.2", "",
     "Pareto shape alpha, P(X > x) = (pareto_scale / x)^alpha; below 2 the variance is "
     "infinite and a few flows carry most packets.", 0, 100, NULL, FS_PF_MIN_EXCL},
    {"pareto_scale", FS_P_REAL, OFF(pareto_scale), "1", "packets",
     "Pareto scale: the smallest value of X.", 0, 1e9, NULL, FS_PF_MIN_EXCL},
    {"lognormal_median", FS_P_REAL, OFF(lognormal_median), "4", "packets",
     "Median of the lognormal X (exp of the mean of ln X).", 0, 1e9, NULL, FS_PF_MIN_EXCL},
    {"lognormal_sigma", FS_P_REAL, OFF(lognormal_sigma), "1.5", "",
     "Standard deviation of ln X for the lognormal law.", 0, 20, NULL, FS_PF_MIN_EXCL},
    {"mix_pareto_frac", FS_P_PROB, OFF(mix_pareto_frac), "0.1", "",
     "Mixture: probability that a flow's size comes from the Pareto law (the tail) "
     "rather than the lognormal (the body).", 0, 1, NULL, FS_PF_ZERO_OK},
    {"size_max", FS_P_COUNT, OFF(size_max), "10M", "packets",
     "Largest flow size; larger draws are cut to it.", 1, 4e9, NULL, 0},

    /* ---- per-flow timing ---- */
    {"pkt_rate", FS_P_REAL, OFF(pkt_rate), "10", "packets/s",
     "Median packet rate of a one-packet flow; a flow of n packets sends at pkt_rate x "
     "n^pkt_rate_exp x lognormal noise with exponential gaps, so its duration is about "
     "n / rate.", 0, 1e9, NULL, FS_PF_MIN_EXCL},
    {"pkt_rate_exp", FS_P_REAL, OFF(pkt_rate_exp), "0.5", "",
     "Exponent of the flow size in the per-flow packet rate (0: rate independent of "
     "size, durations grow like n; 1: all flows last about as long).", 0, 1, NULL, 0},
    {"pkt_rate_sigma", FS_P_REAL, OFF(pkt_rate_sigma), "1", "",
     "Standard deviation of the log of the per-flow rate noise.", 0, 10, NULL, 0},
    {"rtt", FS_P_DURATION, OFF(rtt_ns), "50ms", "s",
     "Round-trip time of TCP connections: the SYN/ACK follows the last SYN by rtt/2 "
     "and the client's next packet follows it by rtt.", 0, 60, NULL, 0},

    /* ---- packet sizes ---- */
    {"mtu", FS_P_BYTES, OFF(mtu_bytes), "1500", "bytes",
     "Largest IP packet: the size of the full-MTU mode.", 128, 65535, NULL, 0},
    {"pkt_small_frac", FS_P_PROB, OFF(pkt_small_frac), "0.4", "",
     "Fraction of data packets with headers only (the 40-byte mode of TCP ACKs; "
     "60 bytes over IPv6).", 0, 1, NULL, FS_PF_ZERO_OK},
    {"pkt_mid_frac", FS_P_PROB, OFF(pkt_mid_frac), "0.1", "",
     "Fraction of data packets of pkt_mid_bytes.", 0, 1, NULL, FS_PF_ZERO_OK},
    {"pkt_mid_bytes", FS_P_BYTES, OFF(pkt_mid_bytes), "576", "bytes",
     "IP size of the middle mode (the classic default datagram size).", 28, 65535, NULL, 0},
    {"pkt_mtu_frac", FS_P_PROB, OFF(pkt_mtu_frac), "0.35", "",
     "Fraction of data packets of mtu bytes; the rest are uniform between the header "
     "size and mtu. SYNs, SYN/ACKs and RSTs are always headers only.",
     0, 1, NULL, FS_PF_ZERO_OK},

    /* ---- protocols and addresses ---- */
    {"tcp_frac", FS_P_PROB, OFF(tcp_frac), "0.85", "",
     "Fraction of background connections that are TCP.", 0, 1, NULL, FS_PF_ZERO_OK},
    {"udp_frac", FS_P_PROB, OFF(udp_frac), "0.12", "",
     "Fraction of background connections that are UDP; the rest (1 - tcp_frac - "
     "udp_frac) are ICMP echo requests.", 0, 1, NULL, FS_PF_ZERO_OK},
    {"ipv6_frac", FS_P_PROB, OFF(ipv6_frac), "0.1", "",
     "Fraction of background connections over IPv6.", 0, 1, NULL, FS_PF_ZERO_OK},
    {"src_prefixes", FS_P_COUNT, OFF(src_prefixes), "100k", "prefixes",
     "Number of client /24 (IPv4) and /48 (IPv6) prefixes; a connection comes from "
     "the prefix of rank k with probability proportional to k^-src_zipf.",
     1, 4194304, NULL, 0},
    {"src_zipf", FS_P_REAL, OFF(src_zipf), "0.8", "",
     "Zipf exponent of client prefix popularity (0: uniform).", 0, 10, NULL, 0},
    {"dst_prefixes", FS_P_COUNT, OFF(dst_prefixes), "10k", "prefixes",
     "Number of server /24 (IPv4) and /48 (IPv6) prefixes, chosen like the clients'.",
     1, 4194304, NULL, 0},
    {"dst_zipf", FS_P_REAL, OFF(dst_zipf), "1", "",
     "Zipf exponent of server prefix popularity (0: uniform).", 0, 10, NULL, 0},
    {"dst_ports", FS_P_COUNT, OFF(dst_ports), "1000", "ports",
     "Number of distinct server (destination) ports: the most popular are well-known "
     "services (443, 80, 53, ...), the others random ports from 1024 to 49151.",
     1, 48000, NULL, 0},
    {"dst_port_zipf", FS_P_REAL, OFF(dst_port_zipf), "1.2", "",
     "Zipf exponent of server port popularity (0: uniform).", 0, 10, NULL, 0},

    /* ---- TCP behaviour ---- */
    {"tcp_fin_frac", FS_P_PROB, OFF(tcp_fin_frac), "0.8", "",
     "Fraction of TCP connections whose last packet in each direction carries FIN.",
     0, 1, NULL, FS_PF_ZERO_OK},
    {"tcp_rst_frac", FS_P_PROB, OFF(tcp_rst_frac), "0.1", "",
     "Fraction of TCP connections whose last packet in each direction is a RST; the "
     "rest just stop (a meter ends them by timeout).", 0, 1, NULL, FS_PF_ZERO_OK},
    {"tcp_reverse_frac", FS_P_PROB, OFF(tcp_reverse_frac), "0.5", "",
     "Fraction of TCP connections whose server-to-client flow is also in the trace, "
     "starting with a SYN/ACK; the others are seen one way, as on an asymmetric link.",
     0, 1, NULL, FS_PF_ZERO_OK},
    {"syn_retx_prob", FS_P_PROB, OFF(syn_retx_prob), "0.02", "",
     "Probability that a TCP client retransmits its SYN: the second packet of a flow "
     "of two or more packets is then the same SYN again, syn_rto later.",
     0, 1, NULL, FS_PF_ZERO_OK},
    {"syn_rto", FS_P_DURATION, OFF(syn_rto_ns), "1s", "s",
     "Delay before a SYN retransmission (the initial RTO of RFC 6298).", 0, 600, NULL,
     FS_PF_MIN_EXCL},

    /* ---- attack overlays ---- */
    {"flood_start", FS_P_DURATION, OFF(flood_start_ns), "0s", "s",
     "Start of the spoofed flood, from the trace start.", 0, 0, NULL, 0},
    {"flood_duration", FS_P_DURATION, OFF(flood_duration_ns), "0s", "s",
     "Length of the spoofed flood; 0 turns it off.", 0, 0, NULL,
     FS_PF_MIN_EXCL | FS_PF_ZERO_OK},
    {"flood_rate", FS_P_REAL, OFF(flood_rate), "10000", "packets/s",
     "Packet rate of the flood, evenly spaced; every packet is a one-packet flow from "
     "a distinct random (spoofed) IPv4 source to one victim.", 0, 1e9, NULL,
     FS_PF_MIN_EXCL},
    {"flood_kind", FS_P_ENUM, OFF(flood_kind), "syn", "",
     "Flood packets are TCP SYNs or UDP datagrams.", 0, 0, flood_kind_choices, 0},
    {"flood_dport", FS_P_COUNT, OFF(flood_dport), "80", "port",
     "Destination port of the flood.", 1, 65535, NULL, 0},
    {"flood_bytes", FS_P_BYTES, OFF(flood_bytes), "28", "bytes",
     "IP size of UDP flood datagrams (at least 28; SYNs are headers only).", 28, 65535,
     NULL, 0},
    {"scan_start", FS_P_DURATION, OFF(scan_start_ns), "0s", "s",
     "Start of the port scan, from the trace start.", 0, 0, NULL, 0},
    {"scan_duration", FS_P_DURATION, OFF(scan_duration_ns), "0s", "s",
     "Length of the port scan; 0 turns it off.", 0, 0, NULL, FS_PF_MIN_EXCL | FS_PF_ZERO_OK},
    {"scan_rate", FS_P_REAL, OFF(scan_rate), "100", "probes/s",
     "Rate of the scan's SYN probes, evenly spaced, one per port in increasing order "
     "from one scanner to one target; the scan stops after scan_ports probes.",
     0, 1e9, NULL, FS_PF_MIN_EXCL},
    {"scan_first_port", FS_P_COUNT, OFF(scan_first_port), "1", "port",
     "First port probed by the scan.", 1, 65535, NULL, 0},
    {"scan_ports", FS_P_COUNT, OFF(scan_ports), "1000", "ports",
     "Number of consecutive ports the scan probes.", 1, 65535, NULL, 0},
    {"elephant_start", FS_P_DURATION, OFF(elephant_start_ns), "0s", "s",
     "Start of the elephant flow, from the trace start.", 0, 0, NULL, 0},
    {"elephant_duration", FS_P_DURATION, OFF(elephant_duration_ns), "0s", "s",
     "Length of the elephant flow; 0 turns it off.", 0, 0, NULL,
     FS_PF_MIN_EXCL | FS_PF_ZERO_OK},
    {"elephant_rate", FS_P_REAL, OFF(elephant_rate), "1000", "packets/s",
     "Packet rate of the elephant: one IPv4 TCP flow, SYN first, evenly spaced "
     "mtu-sized data packets, FIN last, one way only.", 0, 1e9, NULL, FS_PF_MIN_EXCL},
};
const size_t fs_gen_n_params = sizeof fs_gen_param_defs / sizeof fs_gen_param_defs[0];

const fs_gen_param_group fs_gen_param_groups[] = {
    {"duration", "Trace"},
    {"flow_rate", "Connection arrivals"},
    {"size_law", "Flow sizes"},
    {"pkt_rate", "Per-flow timing"},
    {"mtu", "Packet sizes (IP total length)"},
    {"tcp_frac", "Protocols and addresses"},
    {"tcp_fin_frac", "TCP behaviour"},
    {"flood_start", "Attack overlays (IPv4; endpoints in 198.18.0.0/15)"},
};
const size_t fs_gen_n_param_groups =
    sizeof fs_gen_param_groups / sizeof fs_gen_param_groups[0];

int fs_gen_params_init(fs_gen_params *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    return fs_params_defaults(fs_gen_param_defs, fs_gen_n_params, p, err, errlen);
}

void fs_gen_params_free(fs_gen_params *p)
{
    fs_params_free(fs_gen_param_defs, fs_gen_n_params, p);
}

/* State shared by the name=value callbacks of -p lists and profiles. */
struct set_ctx {
    fs_gen_params *p;
    const char *ctx;
    int depth;              /* include nesting, to stop include loops */
};

static int apply_profile(fs_gen_params *p, const char *name, int depth, char *err,
                         size_t errlen);

#define GEN_MAX_INCLUDE_DEPTH 8

static int set_one(const char *name, const char *value, void *vctx, char *err,
                   size_t errlen)
{
    struct set_ctx *c = vctx;
    if (!strcmp(name, "include")) {
        if (c->depth < 0) {
            snprintf(err, errlen, "%s: include= is only allowed in profiles", c->ctx);
            return -1;
        }
        if (c->depth >= GEN_MAX_INCLUDE_DEPTH) {
            snprintf(err, errlen, "%s: include=%s: profiles nested too deep (a loop?)",
                     c->ctx, value);
            return -1;
        }
        return apply_profile(c->p, value, c->depth + 1, err, errlen);
    }
    const fs_param_def *d = fs_params_find(fs_gen_param_defs, fs_gen_n_params, name);
    if (!d) {
        char pn[128];
        name = fs_printable(name, pn, sizeof pn);
        snprintf(err, errlen, "%s: unknown parameter '%s' (flowsim gen --help lists them)",
                 c->ctx, name);
        return -1;
    }
    return fs_param_set(d, c->p, value, c->ctx, err, errlen);
}

int fs_gen_params_set_list(fs_gen_params *p, const char *list, const char *ctx, char *err,
                           size_t errlen)
{
    struct set_ctx c = {p, ctx, -1};
    return fs_kv_split(list, ctx, set_one, &c, err, errlen);
}

/* Fractions are compared with a little slack so that 0.85 + 0.15 passes
 * despite binary rounding.                                                  */
#define GEN_FRAC_SLACK 1e-9

int fs_gen_params_check(const fs_gen_params *p, char *err, size_t errlen)
{
    if (p->tcp_frac + p->udp_frac > 1 + GEN_FRAC_SLACK) {
        snprintf(err, errlen, "parameters tcp_frac + udp_frac = %g exceed 1",
                 p->tcp_frac + p->udp_frac);
        return -1;
    }
    if (p->pkt_small_frac + p->pkt_mid_frac + p->pkt_mtu_frac > 1 + GEN_FRAC_SLACK) {
        snprintf(err, errlen,
                 "parameters pkt_small_frac + pkt_mid_frac + pkt_mtu_frac = %g exceed 1",
                 p->pkt_small_frac + p->pkt_mid_frac + p->pkt_mtu_frac);
        return -1;
    }
    if (p->tcp_fin_frac + p->tcp_rst_frac > 1 + GEN_FRAC_SLACK) {
        snprintf(err, errlen, "parameters tcp_fin_frac + tcp_rst_frac = %g exceed 1",
                 p->tcp_fin_frac + p->tcp_rst_frac);
        return -1;
    }
    if (p->pkt_mid_bytes > p->mtu_bytes) {
        snprintf(err, errlen, "parameter pkt_mid_bytes=%llu exceeds mtu=%llu",
                 (unsigned long long)p->pkt_mid_bytes, (unsigned long long)p->mtu_bytes);
        return -1;
    }
    if (p->flood_bytes > p->mtu_bytes) {
        snprintf(err, errlen, "parameter flood_bytes=%llu exceeds mtu=%llu",
                 (unsigned long long)p->flood_bytes, (unsigned long long)p->mtu_bytes);
        return -1;
    }
    if (p->scan_first_port + p->scan_ports - 1 > 65535) {
        snprintf(err, errlen, "parameters scan_first_port=%llu + scan_ports=%llu go past "
                 "port 65535", (unsigned long long)p->scan_first_port,
                 (unsigned long long)p->scan_ports);
        return -1;
    }
    if ((double)p->epoch_s + (double)p->duration_ns / 1e9 > GEN_MAX_UNIX_S) {
        snprintf(err, errlen, "parameters epoch + duration go past the year 2106, which "
                 "pcap's 32-bit seconds cannot hold");
        return -1;
    }
    static const struct { const char *name; size_t start, len; } windows[] = {
        {"flood_start", OFF(flood_start_ns), OFF(flood_duration_ns)},
        {"scan_start", OFF(scan_start_ns), OFF(scan_duration_ns)},
        {"elephant_start", OFF(elephant_start_ns), OFF(elephant_duration_ns)},
    };
    for (size_t i = 0; i < sizeof windows / sizeof windows[0]; i++) {
        fs_ns start, len;
        memcpy(&start, (const char *)p + windows[i].start, sizeof start);
        memcpy(&len, (const char *)p + windows[i].len, sizeof len);
        if (len > 0 && start >= p->duration_ns) {
            char a[32], b[32];
            fs_format_duration(start, a, sizeof a);
            fs_format_duration(p->duration_ns, b, sizeof b);
            snprintf(err, errlen, "parameter %s=%s is not before the end of the trace "
                     "(duration=%s)", windows[i].name, a, b);
            return -1;
        }
    }
    return 0;
}

/* ---- profiles ------------------------------------------------------------------ */

#define GEN_PROFILE_SUBDIR "traces/profiles"
/* How far up from the executable's (or working) directory to look for
 * traces/profiles: build/flowsim needs one level, build/asan/flowsim two.  */
#define GEN_PROFILE_SEARCH_UP 4

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Looks for traces/profiles in dir and up to GEN_PROFILE_SEARCH_UP of its
 * parents. dir is modified. Returns 0 with the path in buf, or -1.        */
static int search_up(char *dir, char *buf, size_t len)
{
    for (int up = 0; up <= GEN_PROFILE_SEARCH_UP && *dir; up++) {
        char cand[PATH_MAX + sizeof GEN_PROFILE_SUBDIR + 1];
        snprintf(cand, sizeof cand, "%s/%s", dir, GEN_PROFILE_SUBDIR);
        if (is_dir(cand)) {
            snprintf(buf, len, "%s", cand);
            return 0;
        }
        char *slash = strrchr(dir, '/');
        if (!slash)
            break;
        *slash = 0;
    }
    return -1;
}

int fs_gen_profile_dir(char *buf, size_t len, char *err, size_t errlen)
{
    const char *env = getenv("FLOWSIM_PROFILE_DIR");
    if (env && *env) {
        if (!is_dir(env)) {
            snprintf(err, errlen, "FLOWSIM_PROFILE_DIR=%s is not a directory", env);
            return -1;
        }
        snprintf(buf, len, "%s", env);
        return 0;
    }
    /* The executable's own tree first (build/flowsim, build/asan/flowsim),
     * then the working directory's (tests run from tests/).              */
    char dir[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
    if (n > 0) {
        dir[n] = 0;
        char *slash = strrchr(dir, '/');
        if (slash) {
            *slash = 0;
            if (search_up(dir, buf, len) == 0)
                return 0;
        }
    }
    if (getcwd(dir, sizeof dir) && search_up(dir, buf, len) == 0)
        return 0;
    snprintf(err, errlen, "cannot find the profile directory %s above the executable or "
             "the working directory (set FLOWSIM_PROFILE_DIR)", GEN_PROFILE_SUBDIR);
    return -1;
}

/* A profile name is a file name without its extension; letters, digits, '-'
 * and '_' only, so a name can never walk out of the profile directory.     */
static int valid_profile_name(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
              (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
            return 0;
    return 1;
}

/* Reads the description from a profile's first line "# NAME: text". */
static void read_description(FILE *f, const char *name, char *buf, size_t len)
{
    char line[512];
    buf[0] = 0;
    if (!fgets(line, sizeof line, f))
        return;
    line[strcspn(line, "\r\n")] = 0;
    const char *s = line;
    if (*s != '#')
        return;
    s++;
    while (*s == ' ')
        s++;
    size_t nl = strlen(name);
    if (!strncmp(s, name, nl) && s[nl] == ':') {
        s += nl + 1;
        while (*s == ' ')
            s++;
    }
    snprintf(buf, len, "%s", s);
}

struct name_list {
    char **v;
    size_t n, cap;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list_names(struct name_list *nl, char *dir, size_t dirlen, char *err,
                      size_t errlen)
{
    memset(nl, 0, sizeof *nl);
    if (fs_gen_profile_dir(dir, dirlen, err, errlen))
        return -1;
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    struct dirent *e;
    size_t extlen = strlen(FS_GEN_PROFILE_EXT);
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l <= extlen || strcmp(e->d_name + l - extlen, FS_GEN_PROFILE_EXT))
            continue;
        if (nl->n == nl->cap) {
            size_t cap = nl->cap ? 2 * nl->cap : 16;
            char **v = realloc(nl->v, cap * sizeof *v);
            if (!v)
                break;
            nl->v = v;
            nl->cap = cap;
        }
        char *s = strndup(e->d_name, l - extlen);
        if (!s)
            break;
        nl->v[nl->n++] = s;
    }
    closedir(d);
    if (nl->n)
        qsort(nl->v, nl->n, sizeof *nl->v, cmp_str);
    return 0;
}

static void free_names(struct name_list *nl)
{
    for (size_t i = 0; i < nl->n; i++)
        free(nl->v[i]);
    free(nl->v);
}

int fs_gen_profile_list(fs_gen_profile_fn fn, void *ctx, char *err, size_t errlen)
{
    char dir[PATH_MAX];
    struct name_list nl;
    if (list_names(&nl, dir, sizeof dir, err, errlen))
        return -1;
    for (size_t i = 0; i < nl.n; i++) {
        char path[PATH_MAX + 64], desc[512] = "";
        snprintf(path, sizeof path, "%s/%s%s", dir, nl.v[i], FS_GEN_PROFILE_EXT);
        FILE *f = fopen(path, "r");
        if (f) {
            read_description(f, nl.v[i], desc, sizeof desc);
            fclose(f);
        }
        fn(nl.v[i], desc, ctx);
    }
    int n = (int)nl.n;
    free_names(&nl);
    return n;
}

static int apply_profile(fs_gen_params *p, const char *name, int depth, char *err,
                         size_t errlen)
{
    char dir[PATH_MAX];
    if (!valid_profile_name(name)) {
        snprintf(err, errlen, "bad profile name '%s' (letters, digits, '-' and '_')", name);
        return -1;
    }
    if (fs_gen_profile_dir(dir, sizeof dir, err, errlen))
        return -1;
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s%s", dir, name, FS_GEN_PROFILE_EXT);
    FILE *f = fopen(path, "r");
    if (!f) {
        struct name_list nl;
        char avail[1024] = "";
        char dir2[PATH_MAX];
        if (list_names(&nl, dir2, sizeof dir2, err, errlen) == 0) {
            size_t k = 0;
            for (size_t i = 0; i < nl.n && k < sizeof avail; i++)
                k += (size_t)snprintf(avail + k, sizeof avail - k, "%s%s", i ? ", " : "",
                                      nl.v[i]);
            free_names(&nl);
        }
        snprintf(err, errlen, "unknown profile '%s' (available: %s)", name, avail);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int lineno = 0, rc = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        /* Leading and trailing blanks are layout, not part of a value. */
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        size_t l = strlen(s);
        while (l && (s[l - 1] == ' ' || s[l - 1] == '\t'))
            s[--l] = 0;
        if (!*s || *s == '#')
            continue;
        char ctx[PATH_MAX + 96];
        snprintf(ctx, sizeof ctx, "profile %s line %d", name, lineno);
        struct set_ctx c = {p, ctx, depth};
        if (fs_kv_split(s, ctx, set_one, &c, err, errlen)) {
            rc = -1;
            break;
        }
    }
    free(line);
    fclose(f);
    return rc;
}

int fs_gen_profile_apply(fs_gen_params *p, const char *name, char *err, size_t errlen)
{
    return apply_profile(p, name, 0, err, errlen);
}
