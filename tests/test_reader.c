/* flowsim — tests of the reader's own classic-pcap record path against
 * libpcap's pcap_next_ex (fs_reader_opts.libpcap_records): the two must give
 * the same packets, frames, counters, digests and error messages, on the
 * real captures and on files made to hit every rule of the record format.
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tf.h"
#include "fs.h"
#include "reader.h"
#include "pcapw.h"

#include <openssl/evp.h>

/* Hex SHA-256 of len bytes, computed here, for the digest checks. */
static void sha_hex(const uint8_t *b, size_t len, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    out[0] = '\0';
    if (EVP_Digest(b, len, md, &n, EVP_sha256(), NULL) != 1 || n != 32)
        return;
    for (unsigned i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* Reads path through both paths in lockstep and checks every result. */
static void same_both_ways(const char *path)
{
    fs_reader *a = NULL, *b = NULL;
    fs_reader_opts fast = {0}, ref = {.libpcap_records = 1};
    char ea[512] = "", eb[512] = "";
    int oa = fs_reader_open_opts(&a, &path, 1, &fast, ea, sizeof ea);
    int ob = fs_reader_open_opts(&b, &path, 1, &ref, eb, sizeof eb);
    CHECK_EQ_I(oa, ob);
    CHECK_STR(ea, eb);
    if (oa || ob) {
        fs_reader_close(a);
        fs_reader_close(b);
        return;
    }
    uint64_t n = 0;
    int ra, rb, bad = 0;
    for (;;) {
        /* different garbage on both sides: a field the reader leaves unset differs */
        fs_pkt pa, pb;
        memset(&pa, 0xA5, sizeof pa);
        memset(&pb, 0x5A, sizeof pb);
        ra = fs_reader_next(a, &pa, ea, sizeof ea);
        rb = fs_reader_next(b, &pb, eb, sizeof eb);
        if (ra != rb || ra != 1)
            break;
        n++;
        CHECK_EQ_U(pa.key_hash, 0);  /* only a decoded-trace cache brings a hash */
        if (bad < 3) {
            int same = pa.ts == pb.ts && fs_key_eq(&pa.key, &pb.key) && pa.ip_len == pb.ip_len &&
                       pa.wire_len == pb.wire_len && pa.caplen == pb.caplen &&
                       pa.l3_end == pb.l3_end && pa.ports_end == pb.ports_end &&
                       pa.flags_end == pb.flags_end && pa.tcp_flags == pb.tcp_flags &&
                       pa.frag == pb.frag && pa.source == pb.source && pa.ip_id == pb.ip_id &&
                       pa.linktype == pb.linktype && pa.key_hash == pb.key_hash &&
                       memcmp(pa.data, pb.data, pa.caplen) == 0;
            if (!same) {
                bad++;
                fprintf(stderr, "  %s: packet %llu differs between the two paths\n", path,
                        (unsigned long long)n);
            }
        }
    }
    CHECK_EQ_I(bad, 0);
    CHECK_EQ_I(ra, rb);
    if (ra < 0 || rb < 0)
        CHECK_STR(ea, eb);
    const fs_file_info *fa = fs_reader_file(a, 0), *fb = fs_reader_file(b, 0);
    CHECK_EQ_U(fa->frames, fb->frames);
    for (int s = 0; s < FS_DEC__COUNT; s++)
        CHECK_EQ_U(fa->status[s], fb->status[s]);
    CHECK_EQ_I(fa->first_ts, fb->first_ts);
    CHECK_EQ_I(fa->last_ts, fb->last_ts);
    CHECK_EQ_I(fa->sha256_done, fb->sha256_done);
    if (fa->sha256_done && fb->sha256_done)
        CHECK_STR(fa->sha256, fb->sha256);
    if (fa->sha256_done) {  /* and it is the file's (the file is read again here) */
        size_t len = 0;
        uint8_t *img = pcapw_read_file(path, &len);
        char hex[65];
        CHECK(img != NULL);
        if (img) {
            sha_hex(img, len, hex);
            CHECK_STR(fa->sha256, hex);
            free(img);
        }
    }
    CHECK_EQ_U(fa->snaplen, fb->snaplen);
    fs_reader_close(a);
    fs_reader_close(b);
}

TEST(reader_records_real_captures)
{
    static const char *const real[] = {
        "../traces/real/iot23_honeypot4-1_philips_hue.pcap",
        "../traces/real/ndpi_gnutella_full.pcap",
        "../traces/real/ndpi_synscan.pcap",
        "../traces/real/pcapplusplus_tls2.pcap",
        "../traces/real/ndpi_bittorrent_transmission.pcapng",  /* libpcap on both */
    };
    for (size_t i = 0; i < sizeof real / sizeof real[0]; i++) {
        FILE *t = fopen(real[i], "rb");  /* (both failing to open would pass) */
        CHECK(t != NULL);
        if (t)
            fclose(t);
        same_both_ways(real[i]);
    }
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static void wr32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

/* Rewrites a native-order pcap image in the other byte order. */
static void swap_image(uint8_t *b, size_t len)
{
    for (int o = 0; o < 24; o += 4) {
        if (o == 4) {  /* two 16-bit version fields */
            uint8_t t = b[4];
            b[4] = b[5];
            b[5] = t;
            t = b[6];
            b[6] = b[7];
            b[7] = t;
            continue;
        }
        wr32(b + o, __builtin_bswap32(rd32(b + o)));
    }
    size_t pos = 24;
    while (pos + 16 <= len) {
        uint32_t caplen = rd32(b + pos + 8);
        for (int o = 0; o < 16; o += 4)
            wr32(b + pos + o, __builtin_bswap32(rd32(b + pos + o)));
        pos += 16 + (size_t)caplen;
    }
}

/* A small file with a mix of frames: TCP, UDP, IPv6, a snaplen-cut one. */
static int make_base(const char *path, int nano)
{
    pcapw *w = pcapw_open(path, DLT_EN10MB, nano);
    if (!w)
        return -1;
    pcapw_pkt t = pcapw_tcp("10.0.0.1", 1000, "10.0.0.2", 80, FS_TCP_SYN);
    pcapw_pkt u = pcapw_udp("10.0.0.3", 53, "10.0.0.4", 5353);
    pcapw_pkt v = pcapw_tcp("2001:db8::1", 443, "2001:db8::2", 40000, FS_TCP_ACK);
    pcapw_put(w, 1 * FS_NS_PER_S + 123456789, &t);
    pcapw_put(w, 2 * FS_NS_PER_S, &u);
    pcapw_put(w, 2 * FS_NS_PER_S + 5, &v);
    t.snaplen = 40;
    pcapw_put(w, 3 * FS_NS_PER_S, &t);
    pcapw_put(w, 1 * FS_NS_PER_S, &u);  /* backwards: clamped */
    return pcapw_close(w);
}

TEST(reader_records_crafted)
{
    char dir[256], base[300], path[300];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    for (int nano = 0; nano <= 1; nano++) {
        snprintf(base, sizeof base, "%s/base%d.pcap", dir, nano);
        CHECK(make_base(base, nano) == 0);
        size_t len = 0;
        uint8_t *img = pcapw_read_file(base, &len);
        CHECK(img != NULL && len > 100);
        if (!img)
            continue;
        uint8_t *v = malloc(len);
        for (int swapped = 0; swapped <= 1; swapped++) {
            snprintf(path, sizeof path, "%s/v.pcap", dir);
            /* the whole file, then cut at every length (truncated records) */
            for (size_t cut = 24; cut <= len; cut++) {
                memcpy(v, img, len);
                if (swapped)
                    swap_image(v, len);
                CHECK(pcapw_write_file(path, v, cut) == 0);
                same_both_ways(path);
            }
            /* record-header fields libpcap has rules for */
            static const struct { int field; uint32_t val; } edits[] = {
                {0, 0xFFFFFFFFu}, {0, 0x80000000u}, {1, 0xFFFFFFFFu}, {1, 999999999u},
                {1, 1000000000u}, {2, 262145u}, {2, 0xFFFFFFFFu}, {2, 0}, {3, 0},
                {3, 0xFFFFFFFFu},
            };
            for (size_t e = 0; e < sizeof edits / sizeof edits[0]; e++) {
                memcpy(v, img, len);
                uint8_t *rec = v + 24;  /* first record header */
                wr32(rec + 4 * edits[e].field, edits[e].val);
                if (swapped)
                    swap_image(v, len);  /* caplen edits: swap stops where it must */
                CHECK(pcapw_write_file(path, v, len) == 0);
                same_both_ways(path);
            }
            /* captured lengths above the file's snapshot length: cut and skipped */
            for (uint32_t snap = 20; snap <= 100; snap += 40) {
                memcpy(v, img, len);
                wr32(v + 16, snap);
                if (swapped)
                    swap_image(v, len);
                CHECK(pcapw_write_file(path, v, len) == 0);
                same_both_ways(path);
                CHECK(pcapw_write_file(path, v, len - 7) == 0);  /* and truncated */
                same_both_ways(path);
            }
        }
        free(v);
        free(img);
    }
    pcapw_rmdir(dir);
}

/* Frames of mixed sizes up to the 262144-byte maximum, several MiB of them,
 * so records straddle the record path's 1 MiB reads in every way. */
static int make_large(const char *path, size_t want_bytes)
{
    pcapw *w = pcapw_open_snap(path, DLT_EN10MB, 1, 262144);
    if (!w)
        return -1;
    static const uint32_t sizes[] = { 60, 1514, 262144, 9000, 64, 131079, 1, 65535,
                                      262143, 590, 40000, 17, 200001 };
    uint8_t *frame = calloc(1, 262144);
    if (!frame) {
        pcapw_close(w);
        return -1;
    }
    pcapw_pkt t = pcapw_tcp("10.1.0.1", 1000, "10.1.0.2", 80, FS_TCP_ACK);
    size_t hl = pcapw_build(frame, 262144, DLT_EN10MB, &t);
    size_t total = 24;
    for (uint32_t i = 0; total < want_bytes; i++) {
        uint32_t cl = sizes[i % (sizeof sizes / sizeof sizes[0])];
        for (size_t k = hl; k < cl; k += 97)
            frame[k] = (uint8_t)(i + k);
        frame[hl > 1 ? hl - 1 : 0] = (uint8_t)i;  /* the TCP payload's first byte */
        pcapw_add(w, (int64_t)i * 1000, frame, cl, cl + (i % 3));
        total += 16 + cl;
    }
    free(frame);
    return pcapw_close(w);
}

TEST(reader_records_large)
{
    char dir[256], base[300], path[300], hex[65];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    snprintf(base, sizeof base, "%s/large.pcap", dir);
    snprintf(path, sizeof path, "%s/v.pcap", dir);
    CHECK(make_large(base, 5u << 20) == 0);
    size_t len = 0;
    uint8_t *img = pcapw_read_file(base, &len);
    CHECK(img != NULL && len > (5u << 20));
    if (!img) {
        pcapw_rmdir(dir);
        return;
    }
    same_both_ways(base);
    /* the digest is the file's */
    fs_reader *r = NULL;
    char e[512] = "";
    const char *pp = base;
    CHECK(fs_reader_open(&r, &pp, 1, e, sizeof e) == 0);
    if (r) {
        fs_pkt pk;
        while (fs_reader_next(r, &pk, e, sizeof e) == 1)
            ;
        sha_hex(img, len, hex);
        CHECK_EQ_I(fs_reader_file(r, 0)->sha256_done, 1);
        CHECK_STR(fs_reader_file(r, 0)->sha256, hex);
        fs_reader_close(r);
    }
    /* cut around the 1 MiB read boundaries (the first read after the header
     * is where the stream's 64 KiB read-ahead ends) */
    static const long around[] = { 65536, 65536 + (1 << 20), 65536 + (2 << 20),
                                   1 << 20, 2 << 20, 3 << 20 };
    static const long delta[] = { -262161, -16, -15, -1, 0, 1, 15, 16, 17, 4097 };
    for (size_t a = 0; a < sizeof around / sizeof around[0]; a++)
        for (size_t d = 0; d < sizeof delta / sizeof delta[0]; d++) {
            long cut = around[a] + delta[d];
            if (cut < 24 || (size_t)cut > len)
                continue;
            CHECK(pcapw_write_file(path, img, (size_t)cut) == 0);
            same_both_ways(path);
        }
    /* a file that grows after it was opened: both paths read what is there
     * when they get to it, and the digest covers the whole file */
    for (size_t small = 24 + 16 + 60; small <= 70000; small += 69900) {
        CHECK(pcapw_write_file(path, img, small) == 0);
        fs_reader *a = NULL, *b = NULL;
        fs_reader_opts fast = {0}, ref = {.libpcap_records = 1};
        char ea[512] = "", eb[512] = "";
        const char *vp = path;
        CHECK(fs_reader_open_opts(&a, &vp, 1, &fast, ea, sizeof ea) == 0);
        CHECK(fs_reader_open_opts(&b, &vp, 1, &ref, eb, sizeof eb) == 0);
        FILE *fp = fopen(path, "ab");
        CHECK(fp != NULL);
        if (fp) {
            CHECK(fwrite(img + small, 1, len - small, fp) == len - small);
            fclose(fp);
        }
        if (a && b) {
            int ra, rb;
            uint64_t n = 0, bad = 0;
            for (;;) {
                fs_pkt pa, pb;
                ra = fs_reader_next(a, &pa, ea, sizeof ea);
                rb = fs_reader_next(b, &pb, eb, sizeof eb);
                if (ra != 1 || rb != 1)
                    break;
                n++;
                if (pa.ts != pb.ts || pa.caplen != pb.caplen ||
                    memcmp(pa.data, pb.data, pa.caplen) != 0)
                    bad++;
            }
            CHECK_EQ_I(ra, 0);
            CHECK_EQ_I(rb, 0);
            CHECK_EQ_U(bad, 0);
            CHECK(n > 0);
            CHECK_EQ_U(fs_reader_file(a, 0)->frames, fs_reader_file(b, 0)->frames);
            sha_hex(img, len, hex);
            CHECK_STR(fs_reader_file(a, 0)->sha256, hex);
            CHECK_STR(fs_reader_file(b, 0)->sha256, hex);
        }
        fs_reader_close(a);
        fs_reader_close(b);
    }
    free(img);
    pcapw_rmdir(dir);
}
