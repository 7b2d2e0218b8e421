/* flowsim — `flowsim info`: what a trace holds. Packets, bytes, duration,
 * flows (distinct unidirectional 5-tuples: addresses, protocol, ports —
 * without ToS or VLAN, as independent flow counters report them), link type
 * and decode counts by reason. Copyright (C) 2026 the flowsim authors.
 * GPL-3.0-or-later. */
#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include "jsonutf8.h"
#include "engine.h"
#include "ftab.h"
#include "reader.h"

typedef struct ient { FS_FTAB_ENTRY_HEAD; } ient;

static void kv(json_object *o, FILE *f, const char *k, long long v)
{
    if (o)
        json_object_object_add(o, k, json_object_new_int64(v));
    else
        fprintf(f, "%s: %lld\n", k, v);
}

int fs_info(const char *const *traces, int ntraces, int json)
{
    char err[1024];
    fs_reader *r;
    if (fs_reader_open(&r, traces, ntraces, err, sizeof err)) {
        fprintf(stderr, "flowsim: %s\n", err);
        return 2;
    }
    fs_ftab uni, bi;
    if (fs_ftab_init(&uni, sizeof(ient), 1024, 0, 0) || fs_ftab_init(&bi, sizeof(ient), 1024, 0, 0)) {
        fprintf(stderr, "flowsim: out of memory\n");
        fs_reader_close(r);
        return 2;
    }
    uint64_t pkts = 0, v4 = 0, v6 = 0, bytes_ip = 0, bytes_wire = 0, fl[4] = {0};
    fs_ns first = 0, last = 0;
    fs_pkt p;
    int rc;
    while ((rc = fs_reader_next(r, &p, err, sizeof err)) == 1) {
        if (!pkts)
            first = p.ts;
        last = p.ts;
        pkts++;
        bytes_ip += p.ip_len;
        bytes_wire += p.wire_len;
        if (p.key.flags & FS_KEY_V6)
            v6++;
        else
            v4++;
        fs_key k = p.key;
        k.tos = 0;
        k.vlan = 0;
        int created;
        fs_ftab_upsert(&uni, &k, fs_key_hash(&k, 0), &created);
        if (created) {
            int c = k.proto == 6 ? 0 : k.proto == 17 ? 1 : (k.proto == 1 || k.proto == 58) ? 2 : 3;
            fl[c]++;
        }
        int cmp = memcmp(k.src, k.dst, 16);
        if (cmp > 0 || (cmp == 0 && k.sport > k.dport)) {
            uint8_t t[16];
            memcpy(t, k.src, 16);
            memcpy(k.src, k.dst, 16);
            memcpy(k.dst, t, 16);
            uint16_t s = k.sport;
            k.sport = k.dport;
            k.dport = s;
        }
        fs_ftab_upsert(&bi, &k, fs_key_hash(&k, 0), &created);
    }
    json_object *o = json ? json_object_new_object() : NULL;
    FILE *f = stdout;
    json_object *files = json ? json_object_new_array() : NULL;
    for (int i = 0; i < fs_reader_nfiles(r); i++) {
        const fs_file_info *fi = fs_reader_file(r, i);
        json_object *fo = json ? json_object_new_object() : NULL;
        if (fo) {
            json_object_object_add(fo, "path", json_object_new_string(fi->path));
            json_object_object_add(fo, "format", json_object_new_string(fi->is_pcapng ? "pcapng" : "pcap"));
            json_object_object_add(fo, "link_type", json_object_new_string(fi->linktype_name));
            if (fi->sha256_done)
                json_object_object_add(fo, "sha256", json_object_new_string(fi->sha256));
        } else {
            fprintf(f, "trace: %s\nformat: %s\nlink_type: %s (%d)\n", fi->path,
                    fi->is_pcapng ? "pcapng" : "pcap", fi->linktype_name, fi->linktype);
            if (fi->sha256_done)
                fprintf(f, "sha256: %s\n", fi->sha256);
        }
        kv(fo, f, "size_bytes", (long long)fi->size_bytes);
        kv(fo, f, "frames", (long long)fi->frames);
        for (int s = 0; s < FS_DEC__COUNT; s++) {
            char k[64];
            snprintf(k, sizeof k, "decode_%s", fs_decode_status_name[s]);
            kv(fo, f, k, (long long)fi->status[s]);
        }
        if (fo)
            json_object_array_add(files, fo);
    }
    if (o)
        json_object_object_add(o, "files", files);
    kv(o, f, "packets", (long long)pkts);
    kv(o, f, "ipv4_packets", (long long)v4);
    kv(o, f, "ipv6_packets", (long long)v6);
    kv(o, f, "bytes_ip", (long long)bytes_ip);
    kv(o, f, "bytes_wire", (long long)bytes_wire);
    kv(o, f, "first_ts_ns", (long long)first);
    kv(o, f, "last_ts_ns", (long long)last);
    if (o)
        json_object_object_add(o, "duration_s", json_object_new_double((double)(last - first) / 1e9));
    else
        fprintf(f, "duration_s: %.9f\n", (double)(last - first) / 1e9);
    kv(o, f, "flows", (long long)uni.n);
    kv(o, f, "flows_tcp", (long long)fl[0]);
    kv(o, f, "flows_udp", (long long)fl[1]);
    kv(o, f, "flows_icmp", (long long)fl[2]);
    kv(o, f, "flows_other", (long long)fl[3]);
    kv(o, f, "flows_bidir", (long long)bi.n);
    if (o) {
        fs_json_utf8(o);   /* valid UTF-8 whatever the file names (jsonutf8.h) */
        printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
        json_object_put(o);
    }
    fs_ftab_free(&uni);
    fs_ftab_free(&bi);
    fs_reader_close(r);
    if (rc < 0) {
        fprintf(stderr, "flowsim: %s\n", err);
        return 2;
    }
    return 0;
}
