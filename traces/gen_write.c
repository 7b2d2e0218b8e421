/* flowsim — synthetic trace generator: writing the pcap file (libpcap) and
 * its JSON sidecar (json-c).
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
 *
 * The pcap file is Ethernet (DLT_EN10MB) with nanosecond timestamps, or
 * microsecond ones with tstamp=us. The sidecar OUT.json holds every
 * parameter in canonical text, the seed, the profile, the flowsim version
 * and the realised totals; `flowsim info OUT` must agree with the totals.
 */
#include "gen_api.h"

#include <json-c/json.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonutf8.h"
#include "rng.h"

/* With snaplen=0 each frame is cut after its transport header; the file
 * header then announces the largest such frame (Ethernet + IPv6 + TCP).   */
#define GEN_HEADERS_SNAPLEN 74

#define SIDECAR_SUFFIX ".json"
#define SIDECAR_FORMAT "flowsim-gen-sidecar/1"

static void fmt_ts(fs_ns ts, char *buf, size_t len)
{
    snprintf(buf, len, "%lld.%09lld", (long long)(ts / FS_NS_PER_S),
             (long long)(ts % FS_NS_PER_S));
}

static int write_sidecar(const fs_gen_params *p, uint64_t seed, const char *profile,
                         const char *path, uint32_t file_snaplen, const fs_gen_totals *t,
                         char *err, size_t errlen)
{
    json_object *root = json_object_new_object();
    json_object_object_add(root, "format", json_object_new_string(SIDECAR_FORMAT));
    json_object_object_add(root, "generator", json_object_new_string("flowsim gen"));
    json_object_object_add(root, "flowsim_version", json_object_new_string(FS_VERSION));
    json_object_object_add(root, "profile", profile ? json_object_new_string(profile) : NULL);
    json_object_object_add(root, "seed", json_object_new_uint64(seed));
    json_object_object_add(root, "rng", json_object_new_string(FS_RNG_GEN_RULE));

    const char *base = strrchr(path, '/');
    json_object *pc = json_object_new_object();
    json_object_object_add(pc, "file", json_object_new_string(base ? base + 1 : path));
    json_object_object_add(pc, "linktype", json_object_new_string("EN10MB"));
    json_object_object_add(pc, "tstamp_precision",
                           json_object_new_string(p->tstamp == FS_GEN_TS_US ? "us" : "ns"));
    json_object_object_add(pc, "snaplen", json_object_new_int64(file_snaplen));
    json_object_object_add(root, "pcap", pc);

    json_object *params = json_object_new_object();
    for (size_t i = 0; i < fs_gen_n_params; i++) {
        char buf[128];
        fs_param_format(&fs_gen_param_defs[i], p, buf, sizeof buf);
        json_object_object_add(params, fs_gen_param_defs[i].name, json_object_new_string(buf));
    }
    json_object_object_add(root, "params", params);

    json_object *tot = json_object_new_object();
    static const struct { const char *name; size_t off; } counts[] = {
        {"packets", offsetof(fs_gen_totals, packets)},
        {"frames", offsetof(fs_gen_totals, packets)},
        {"bytes_ip", offsetof(fs_gen_totals, bytes_ip)},
        {"bytes_wire", offsetof(fs_gen_totals, bytes_wire)},
        {"flows", offsetof(fs_gen_totals, flows)},
        {"flows_tcp", offsetof(fs_gen_totals, flows_tcp)},
        {"flows_udp", offsetof(fs_gen_totals, flows_udp)},
        {"flows_icmp", offsetof(fs_gen_totals, flows_icmp)},
        {"flows_other", offsetof(fs_gen_totals, flows_other)},
        {"ipv4_packets", offsetof(fs_gen_totals, ipv4_packets)},
        {"ipv6_packets", offsetof(fs_gen_totals, ipv6_packets)},
        {"connections", offsetof(fs_gen_totals, connections)},
        {"flood_packets", offsetof(fs_gen_totals, flood_packets)},
        {"scan_packets", offsetof(fs_gen_totals, scan_packets)},
        {"elephant_packets", offsetof(fs_gen_totals, elephant_packets)},
        {"max_active_connections", offsetof(fs_gen_totals, max_active)},
    };
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        uint64_t v;
        memcpy(&v, (const char *)t + counts[i].off, sizeof v);
        json_object_object_add(tot, counts[i].name, json_object_new_uint64(v));
    }
    char ts[48];
    fmt_ts(t->first_ts, ts, sizeof ts);
    json_object_object_add(tot, "first_ts", json_object_new_string(ts));
    fmt_ts(t->last_ts, ts, sizeof ts);
    json_object_object_add(tot, "last_ts", json_object_new_string(ts));
    json_object_object_add(tot, "first_ts_ns", json_object_new_int64(t->first_ts));
    json_object_object_add(tot, "last_ts_ns", json_object_new_int64(t->last_ts));
    json_object_object_add(root, "totals", tot);

    size_t n = strlen(path) + sizeof SIDECAR_SUFFIX;
    char *jpath = malloc(n);
    int rc = 0;
    if (!jpath) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    } else {
        snprintf(jpath, n, "%s%s", path, SIDECAR_SUFFIX);
        if (fs_json_utf8(root) < 0 ||   /* valid UTF-8 whatever the file name */
            json_object_to_file_ext(jpath, root, JSON_C_TO_STRING_PRETTY |
                                    JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE)) {
            snprintf(err, errlen, "%s: cannot write the sidecar: %s", jpath,
                     json_util_get_last_err());
            rc = -1;
        }
        free(jpath);
    }
    json_object_put(root);
    return rc;
}

int fs_gen_write(const fs_gen_params *p, uint64_t seed, const char *profile, const char *path,
                 fs_gen_totals *tout, char *err, size_t errlen)
{
    fs_gen *g;
    if (fs_gen_open(&g, p, seed, err, errlen))
        return -1;
    uint32_t file_snaplen = p->snaplen_bytes ? (uint32_t)p->snaplen_bytes : GEN_HEADERS_SNAPLEN;
    int nano = p->tstamp != FS_GEN_TS_US;
    pcap_t *dead = pcap_open_dead_with_tstamp_precision(
        DLT_EN10MB, (int)file_snaplen,
        nano ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
    if (!dead) {
        snprintf(err, errlen, "pcap_open_dead failed");
        fs_gen_close(g);
        return -1;
    }
    pcap_dumper_t *dump = pcap_dump_open(dead, path);
    if (!dump) {
        snprintf(err, errlen, "%s", pcap_geterr(dead));
        pcap_close(dead);
        fs_gen_close(g);
        return -1;
    }
    fs_gen_pkt pkt;
    int rc;
    while ((rc = fs_gen_next(g, &pkt, err, errlen)) == 1) {
        struct pcap_pkthdr h;
        memset(&h, 0, sizeof h);
        h.ts.tv_sec = (time_t)(pkt.ts / FS_NS_PER_S);
        /* A nanosecond-precision handle takes nanoseconds in tv_usec. */
        h.ts.tv_usec = (suseconds_t)(nano ? pkt.ts % FS_NS_PER_S
                                          : (pkt.ts % FS_NS_PER_S) / FS_NS_PER_US);
        h.caplen = pkt.caplen;
        h.len = pkt.wire_len;
        pcap_dump((u_char *)dump, &h, pkt.frame);
    }
    fs_gen_totals t;
    fs_gen_get_totals(g, &t);
    fs_gen_close(g);
    if (rc == 0 && pcap_dump_flush(dump)) {
        snprintf(err, errlen, "%s: write error (disk full?)", path);
        rc = -1;
    }
    pcap_dump_close(dump);
    pcap_close(dead);
    if (rc == 0)
        rc = write_sidecar(p, seed, profile, path, file_snaplen, &t, err, errlen);
    if (rc) {
        unlink(path);
        return -1;
    }
    if (tout)
        *tout = t;
    return 0;
}
