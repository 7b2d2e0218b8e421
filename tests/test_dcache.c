/* flowsim — tests of the decoded-trace cache (sim/dcache.c): exact round
 * trip of the shipped real captures and of hand-made packets at the edges of
 * every field, detection of every damaged or truncated byte, staleness, and
 * the atomic commit.
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "dcache.h"
#include "fs.h"
#include "ftab.h"
#include "pcapw.h"
#include "reader.h"
#include "tf.h"

#define DEC_VER 7u   /* decoder version the tests write and expect */

/* ---- helpers ---------------------------------------------------------------- */

/* The tests run from tests/ (make test-unit) or from the top directory. */
static const char *real_trace(const char *name, char *buf, size_t n)
{
    snprintf(buf, n, "../traces/real/%s", name);
    if (access(buf, R_OK) == 0)
        return buf;
    snprintf(buf, n, "traces/real/%s", name);
    return access(buf, R_OK) == 0 ? buf : NULL;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Number of entries in dir other than . and .. */
static int dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* Rewrites the checksum (last 8 bytes, big-endian XXH3-64 over the rest). */
static void fix_checksum(uint8_t *b, size_t n)
{
    uint64_t h = XXH3_64bits(b, n - 8);
    for (int i = 7; i >= 0; i--, h >>= 8)
        b[n - 8 + (size_t)i] = (uint8_t)h;
}

static uint64_t hash0_of(const fs_key *k)
{
    fs_key k0 = *k;
    k0.tos = 0;
    k0.vlan = 0;
    return fs_key_hash(&k0, 0);
}

/* Field-by-field comparison of a replayed packet with the original; prints
 * the first difference. data must be NULL in the replayed one. */
static int pkt_same(const fs_pkt *got, const fs_pkt *want, uint64_t idx)
{
#define F(f) do { if ((long long)got->f != (long long)want->f) { \
        fprintf(stderr, "    packet %llu: %s: got %lld, want %lld\n", (unsigned long long)idx, \
                #f, (long long)got->f, (long long)want->f); return 0; } } while (0)
    F(ts); F(key.sport); F(key.dport); F(key.proto); F(key.tos); F(key.flags); F(key.vlan);
    F(key.pad0); F(key.pad1); F(ip_len); F(wire_len); F(caplen); F(l3_end); F(ports_end);
    F(flags_end); F(tcp_flags); F(frag); F(source); F(ip_id); F(linktype);
#undef F
    if (memcmp(got->key.src, want->key.src, 16) || memcmp(got->key.dst, want->key.dst, 16)) {
        fprintf(stderr, "    packet %llu: addresses differ\n", (unsigned long long)idx);
        return 0;
    }
    if (!fs_key_eq(&got->key, &want->key)) {
        fprintf(stderr, "    packet %llu: key bytes differ\n", (unsigned long long)idx);
        return 0;
    }
    if (got->data != NULL || got->key_hash != 0) {
        fprintf(stderr, "    packet %llu: data or key_hash set\n", (unsigned long long)idx);
        return 0;
    }
    return 1;
}

typedef struct pktvec {
    fs_pkt  *p;
    size_t   n, cap;
} pktvec;

static void pv_push(pktvec *v, const fs_pkt *p)
{
    if (v->n == v->cap) {
        size_t nc = v->cap ? 2 * v->cap : 1024;
        fs_pkt *q = realloc(v->p, nc * sizeof *q);
        if (!q)
            abort();
        v->p = q;
        v->cap = nc;
    }
    v->p[v->n] = *p;
    v->p[v->n].data = NULL;
    v->n++;
}

/* Replays the cache at path (twice: one packet at a time and in batches)
 * and checks it against want[]; returns the number of mismatches. */
static int replay_matches(const char *path, const fs_dcache_id *id, const fs_pkt *want,
                          size_t n, const fs_file_info *fi_want)
{
    int bad = 0;
    for (int mode = 0; mode < 2; mode++) {
        fs_dcache_r *r = NULL;
        fs_file_info fi;
        memset(&fi, 0, sizeof fi);
        fi.path = "kept";
        fi.linktype_name = "kept too";
        char err[512] = "";
        int rc = fs_dcache_r_open(&r, path, id, DEC_VER, &fi, err, sizeof err);
        CHECK_EQ_I(rc, 0);
        if (rc) {
            fprintf(stderr, "    %s\n", err);
            return 1;
        }
        CHECK_STR(fi.path, "kept");
        CHECK_STR(fi.linktype_name, "kept too");
        CHECK_EQ_I(fi.linktype, fi_want->linktype);
        CHECK_EQ_I(fi.is_pcapng, fi_want->is_pcapng);
        CHECK_EQ_U(fi.snaplen, fi_want->snaplen);
        CHECK_EQ_U(fi.size_bytes, fi_want->size_bytes);
        CHECK_EQ_U(fi.frames, fi_want->frames);
        for (int s = 0; s < FS_DEC__COUNT; s++)
            CHECK_EQ_U(fi.status[s], fi_want->status[s]);
        CHECK_EQ_I(fi.first_ts, fi_want->first_ts);
        CHECK_EQ_I(fi.last_ts, fi_want->last_ts);
        CHECK_EQ_I(fi.sha256_done, 1);
        CHECK_STR(fi.sha256, fi_want->sha256);
        CHECK_EQ_U(fs_dcache_r_remaining(r), n);
        size_t i = 0;
        if (mode == 0) {
            fs_pkt p;
            uint64_t h0;
            while ((rc = fs_dcache_r_next(r, &p, &h0)) == 1) {
                if (i < n && bad < 5) {
                    if (!pkt_same(&p, &want[i], i))
                        bad++;
                    else if (h0 != hash0_of(&want[i].key)) {
                        fprintf(stderr, "    packet %zu: hash0 differs\n", i);
                        bad++;
                    }
                }
                i++;
            }
        } else {
            enum { B = 64 };
            fs_pkt p[B];
            uint64_t h0[B];
            while ((rc = fs_dcache_r_next_batch(r, p, h0, B)) > 0) {
                for (int j = 0; j < rc; j++, i++)
                    if (i < n && bad < 5 &&
                        (!pkt_same(&p[j], &want[i], i) || h0[j] != hash0_of(&want[i].key)))
                        bad++;
            }
        }
        CHECK_EQ_I(rc, 0);
        CHECK_EQ_U(i, n);
        CHECK_EQ_U(fs_dcache_r_remaining(r), 0);
        CHECK_STR(fs_dcache_r_error(r), "");
        fs_pkt p;
        CHECK_EQ_I(fs_dcache_r_next(r, &p, NULL), 0);   /* stays at the end */
        fs_dcache_r_close(r);
    }
    CHECK_EQ_I(bad, 0);
    return bad;
}

/* ---- 1. real captures --------------------------------------------------------- */

TEST(dcache_roundtrip_real)
{
    static const char *const names[] = {
        "pcapplusplus_tls2.pcap",              /* IPv6-heavy, ts_backwards */
        "ndpi_gnutella_full.pcap",             /* IPv4 + IPv6 + non-IP */
        "ndpi_bittorrent_transmission.pcapng", /* pcapng */
        "ndpi_synscan.pcap",
        "iot23_honeypot4-1_philips_hue.pcap",  /* ARP-heavy */
    };
    char dir[64];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    int v6_seen = 0, done = 0;
    for (size_t t = 0; t < sizeof names / sizeof names[0]; t++) {
        char pbuf[256], cpath[512], err[512] = "";
        const char *pcap = real_trace(names[t], pbuf, sizeof pbuf);
        if (!pcap) {
            fprintf(stderr, "    skipping %s (not found)\n", names[t]);
            continue;
        }
        fs_dcache_id id;
        CHECK_EQ_I(fs_dcache_id_of(pcap, &id, err, sizeof err), 0);
        CHECK_EQ_I(fs_dcache_path(dir, pcap, &id, cpath, sizeof cpath), 0);
        fs_reader *rd = NULL;
        int rc = fs_reader_open(&rd, &pcap, 1, err, sizeof err);
        CHECK_EQ_I(rc, 0);
        if (rc)
            continue;
        const fs_file_info *fi = fs_reader_file(rd, 0);
        fs_dcache_w *w = NULL;
        rc = fs_dcache_w_open(&w, cpath, &id, pcap, DEC_VER, fi->linktype, fi->snaplen,
                              fi->is_pcapng, err, sizeof err);
        CHECK_EQ_I(rc, 0);
        if (rc) {
            fs_reader_close(rd);
            continue;
        }
        pktvec v = {0};
        fs_pkt p;
        while ((rc = fs_reader_next(rd, &p, err, sizeof err)) == 1) {
            fs_dcache_w_add(w, &p);
            pv_push(&v, &p);
            v6_seen += (p.key.flags & FS_KEY_V6) != 0;
        }
        CHECK_EQ_I(rc, 0);
        CHECK(!exists(cpath));
        CHECK_EQ_I(fs_dcache_w_commit(w, fi, err, sizeof err), 0);
        CHECK(exists(cpath));
        CHECK_EQ_I(dir_entries(dir), (int)done + 1);   /* no temp file left */
        CHECK_EQ_U(fi->size_bytes, id.size);
        /* Compact records: IPv4 56 bytes, IPv6 80, plus header and trailer. */
        struct stat st;
        CHECK(stat(cpath, &st) == 0);
        CHECK((uint64_t)st.st_size <= 80 * v.n + 4096);
        CHECK(replay_matches(cpath, &id, v.p, v.n, fi) == 0);
        /* the file index comes from the reader of the cache */
        fs_dcache_r *r = NULL;
        fs_file_info fi2;
        CHECK_EQ_I(fs_dcache_r_open(&r, cpath, NULL, DEC_VER, &fi2, err, sizeof err), 0);
        if (r) {
            fs_dcache_r_set_source(r, 3);
            CHECK_EQ_I(fs_dcache_r_next(r, &p, NULL), v.n ? 1 : 0);
            if (v.n)
                CHECK_EQ_U(p.source, 3);
            fs_dcache_r_close(r);
        }
        if (getenv("TF_VERBOSE"))
            fprintf(stderr, "    %s: %zu packets, cache %lld bytes\n", names[t], v.n,
                    (long long)st.st_size);
        free(v.p);
        fs_reader_close(rd);
        done++;
    }
    CHECK(done >= 2);
    CHECK(v6_seen > 0);
    CHECK(pcapw_rmdir(dir) == 0);
}

/* ---- 2. hand-made packets ----------------------------------------------------- */

/* Decodes a frame built by pcapw as captured with caplen bytes (0: all). */
static int make_pkt(fs_pkt *p, const pcapw_pkt *s, uint32_t caplen, int64_t ts)
{
    static uint8_t buf[PCAPW_MAX_FRAME];
    size_t len = pcapw_build(buf, sizeof buf, DLT_EN10MB, s);
    if (!len)
        return -1;
    uint32_t cl = caplen && caplen < len ? caplen : (uint32_t)len;
    memset(p, 0, sizeof *p);
    int st = fs_decode(DLT_EN10MB, buf, cl, (uint32_t)len, p);
    p->ts = ts;
    p->data = NULL;
    return st;
}

/* The hand-made packet set: every kind of key and the extreme values. */
static size_t handmade(fs_pkt *out, size_t max)
{
    size_t n = 0;
    pcapw_pkt s;
    fs_pkt p;
#define ADD(status_want) do { if (n < max) { CHECK_EQ_I(st, status_want); out[n++] = p; } } while (0)
    int st;
    /* IPv4 TCP with ToS and one VLAN tag */
    s = pcapw_tcp("192.0.2.1", 40000, "198.51.100.2", 80, FS_TCP_SYN);
    s.tos = 0xb8;
    s.n_vlan = 1;
    s.vlan[0] = 4095;
    s.ip_id = 0xfedc;
    st = make_pkt(&p, &s, 0, -5);
    ADD(FS_DEC_OK);
    /* QinQ IPv6 UDP with traffic class */
    s = pcapw_udp("2001:db8::1", 5353, "2001:db8:0:1::2", 53);
    s.tos = 0x2c;
    s.n_vlan = 2;
    s.vlan[0] = 100;
    s.vlan[1] = 200;
    st = make_pkt(&p, &s, 0, -(INT64_C(1) << 62));
    ADD(FS_DEC_OK);
    /* IPv4 fragments: first (ports kept) and later (ports 0) */
    s = pcapw_udp("10.0.0.1", 1234, "10.0.0.2", 4321);
    s.mf = 1;
    s.ip_id = 77;
    s.payload_len = 1000;
    st = make_pkt(&p, &s, 0, 0);
    ADD(FS_DEC_OK);
    CHECK_EQ_I(p.frag, FS_FRAG_FIRST);
    s.frag_off = 126;
    s.mf = 0;
    st = make_pkt(&p, &s, 0, 1);
    ADD(FS_DEC_FRAGMENT);
    CHECK_EQ_I(p.frag, FS_FRAG_LATER);
    /* IPv6 fragments through the extension header */
    s = pcapw_udp("2001:db8::a", 1, "2001:db8::b", 2);
    s.ext[0] = 44;
    s.n_ext = 1;
    s.mf = 1;
    s.ip_id = 9;
    st = make_pkt(&p, &s, 0, (INT64_C(1) << 62) - 1);
    ADD(FS_DEC_OK);
    CHECK_EQ_I(p.frag, FS_FRAG_FIRST);
    s.frag_off = 10;
    st = make_pkt(&p, &s, 0, (INT64_C(1) << 62) + 12345);
    ADD(FS_DEC_FRAGMENT);
    CHECK_EQ_I(p.frag, FS_FRAG_LATER);
    /* truncated transport headers: IPv4 TCP cut in the ports, IPv6 TCP
     * with ports but no flags byte */
    s = pcapw_tcp("192.0.2.9", 1, "192.0.2.10", 2, FS_TCP_ACK);
    st = make_pkt(&p, &s, 14 + 20 + 2, INT64_MAX);
    ADD(FS_DEC_TRUNC_L4);
    CHECK_EQ_U(p.ports_end, 14 + 20 + 4);
    s = pcapw_tcp("2001:db8::5", 443, "2001:db8::6", 50000, FS_TCP_FIN);
    st = make_pkt(&p, &s, 14 + 40 + 8, INT64_MIN);
    ADD(FS_DEC_TRUNC_L4);
    /* largest IP lengths: IPv4 65535, IPv6 40 + 65535 */
    s = pcapw_udp("192.0.2.1", 9, "192.0.2.2", 9);
    s.ip_len_set = 1;
    s.ip_len = 65535;
    st = make_pkt(&p, &s, 0, 2);
    ADD(FS_DEC_OK);
    CHECK_EQ_U(p.ip_len, 65535);
    s = pcapw_udp("::1", 9, "::2", 9);
    s.ip_len_set = 1;
    s.ip_len = 65535;
    st = make_pkt(&p, &s, 0, 3);
    ADD(FS_DEC_OK);
    CHECK_EQ_U(p.ip_len, 65535 + 40);
    /* ICMP (type/code in dport), IPv4 options */
    s = pcapw_ip("203.0.113.1", "203.0.113.2", 1);
    s.icmp_type = 8;
    s.ip_opt_len = 40;
    st = make_pkt(&p, &s, 0, 4);
    ADD(FS_DEC_OK);
    /* IPv6 addresses that look like IPv4-mapped ones, and all-ones fields:
     * not from the decoder, but the cache keeps any key exactly */
    memset(&p, 0, sizeof p);
    p.linktype = DLT_EN10MB;
    memset(p.key.src + 10, 0xff, 2);
    memset(p.key.dst + 10, 0xff, 2);
    p.key.src[15] = 1;
    p.key.flags = FS_KEY_V6;
    p.ts = -1;
    if (n < max)
        out[n++] = p;
    memset(&p, 0xff, sizeof p);
    p.key.pad0 = 0;
    p.key.pad1 = 0;
    p.key.flags = 0xfe;     /* FS_KEY_V6 clear, unmapped addresses */
    p.source = 0;
    p.key_hash = 0;
    p.data = NULL;
    p.linktype = DLT_EN10MB;
    p.ts = INT64_MIN + 1;
    if (n < max)
        out[n++] = p;
#undef ADD
    return n;
}

static void fake_info(fs_file_info *fi, uint64_t size)
{
    memset(fi, 0, sizeof *fi);
    fi->linktype = DLT_EN10MB;
    fi->snaplen = 65535;
    fi->size_bytes = size;
    fi->frames = 123456789012ull;
    for (int s = 0; s < FS_DEC__COUNT; s++)
        fi->status[s] = UINT64_MAX - (uint64_t)s;
    fi->first_ts = INT64_MIN;
    fi->last_ts = INT64_MAX;
    fi->sha256_done = 1;
    memcpy(fi->sha256, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 65);
}

static const fs_dcache_id test_id = {1, 2, 1000, 1700000000, 999999999, 0x5eed};

/* Writes the hand-made set (repeated reps times) to path; 0 or -1. */
static int write_handmade(const char *path, int reps, fs_pkt *pk, size_t *np)
{
    fs_pkt tmp[32];
    size_t n = handmade(tmp, 32);
    fs_dcache_w *w = NULL;
    char err[512];
    if (fs_dcache_w_open(&w, path, &test_id, "/some/trace.pcap", DEC_VER, DLT_EN10MB, 65535, 0,
                         err, sizeof err))
        return -1;
    size_t k = 0;
    for (int r = 0; r < reps; r++)
        for (size_t i = 0; i < n; i++, k++) {
            fs_dcache_w_add(w, &tmp[i]);
            if (pk)
                pk[k] = tmp[i];
        }
    if (np)
        *np = k;
    fs_file_info fi;
    fake_info(&fi, test_id.size);
    return fs_dcache_w_commit(w, &fi, err, sizeof err);
}

TEST(dcache_handmade)
{
    char dir[64], path[128];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    snprintf(path, sizeof path, "%s/h.fsd", dir);
    fs_pkt want[64];
    size_t n = 0;
    CHECK_EQ_I(write_handmade(path, 2, want, &n), 0);
    CHECK(n >= 26);
    fs_file_info fi;
    fake_info(&fi, test_id.size);
    CHECK(replay_matches(path, &test_id, want, n, &fi) == 0);
    /* size: two of each of 6 IPv4 (56 bytes) and 7 other records (80) */
    size_t len;
    uint8_t *b = pcapw_read_file(path, &len);
    free(b);
    CHECK_EQ_U(len, 96 + 24 /* "/some/trace.pcap", NUL, padding */ + 2 * (6 * 56 + 7 * 80) +
                        (8 + 8 + 8 + 8 * FS_DEC__COUNT + 16 + 72 + 16) + 8);
    /* an empty cache (a capture without IP packets) */
    fs_dcache_w *w = NULL;
    char err[512];
    CHECK_EQ_I(fs_dcache_w_open(&w, path, &test_id, "", DEC_VER, DLT_EN10MB, 0, 1, err,
                                sizeof err), 0);
    fake_info(&fi, test_id.size);
    fi.is_pcapng = 1;
    fi.snaplen = 0;
    CHECK_EQ_I(fs_dcache_w_commit(w, &fi, err, sizeof err), 0);
    CHECK(replay_matches(path, &test_id, NULL, 0, &fi) == 0);
    CHECK(pcapw_rmdir(dir) == 0);
}

/* ---- 3. corruption and staleness --------------------------------------------- */

static int open_rc(const char *path, const fs_dcache_id *id, uint32_t ver, char *err,
                   size_t errlen)
{
    fs_dcache_r *r = NULL;
    fs_file_info fi;
    memset(&fi, 0, sizeof fi);
    err[0] = 0;
    int rc = fs_dcache_r_open(&r, path, id, ver, &fi, err, errlen);
    if ((rc == 0) != (r != NULL))
        return 99;
    if (r) {
        /* replay everything: must end cleanly or with -1, never read outside */
        fs_pkt p;
        int k;
        uint64_t guard = 0;
        while ((k = fs_dcache_r_next(r, &p, NULL)) == 1 && guard++ < 100000000)
            ;
        if (k < 0)
            rc = 2;
        fs_dcache_r_close(r);
    }
    return rc;
}

static int corrupt_msg(const char *err, const char *path)
{
    return strstr(err, path) == err && strstr(err, "decoded-trace cache is corrupt") &&
           !strchr(err, '\n');
}

TEST(dcache_corrupt)
{
    char dir[64], path[128], bad[128], err[512];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    snprintf(path, sizeof path, "%s/c.fsd", dir);
    snprintf(bad, sizeof bad, "%s/bad.fsd", dir);
    CHECK_EQ_I(write_handmade(path, 1, NULL, NULL), 0);
    size_t len;
    uint8_t *orig = pcapw_read_file(path, &len);
    CHECK(orig != NULL && len > 500);
    if (!orig)
        return;
    CHECK_EQ_I(open_rc(path, &test_id, DEC_VER, err, sizeof err), 0);

    /* every single flipped byte, and every flipped bit of the header */
    uint8_t *b = malloc(len);
    int fails = 0;
    for (size_t i = 0; i < len && fails < 5; i++) {
        for (int bit = 0; bit < (i < 96 ? 8 : 1); bit++) {
            memcpy(b, orig, len);
            b[i] ^= (uint8_t)(i < 96 ? 1u << bit : 0x5a);
            pcapw_write_file(bad, b, len);
            int rc = open_rc(bad, &test_id, DEC_VER, err, sizeof err);
            if (rc != -1 || !corrupt_msg(err, bad)) {
                fprintf(stderr, "    flip at %zu bit %d: rc %d, %s\n", i, bit, rc, err);
                fails++;
            }
        }
    }
    CHECK_EQ_I(fails, 0);
    /* every truncation, from the empty file to one byte short */
    for (size_t l = 0; l < len && fails < 5; l++) {
        pcapw_write_file(bad, orig, l);
        int rc = open_rc(bad, &test_id, DEC_VER, err, sizeof err);
        if (rc != -1 || !corrupt_msg(err, bad)) {
            fprintf(stderr, "    truncated to %zu: rc %d, %s\n", l, rc, err);
            fails++;
        }
    }
    CHECK_EQ_I(fails, 0);
    /* extra bytes at the end */
    memcpy(b, orig, len);
    FILE *f = fopen(bad, "wb");
    if (f) {
        fwrite(orig, 1, len, f);
        fputs("x", f);
        fclose(f);
    }
    CHECK_EQ_I(open_rc(bad, &test_id, DEC_VER, err, sizeof err), -1);
    CHECK(corrupt_msg(err, bad));
    /* another kind of file */
    const char txt[] = "this is not a cache file, just some text of a fair length.......\n";
    pcapw_write_file(bad, txt, sizeof txt - 1);
    CHECK_EQ_I(open_rc(bad, &test_id, DEC_VER, err, sizeof err), -1);
    CHECK(corrupt_msg(err, bad));
    CHECK(strstr(err, "not a decoded-trace cache file") != NULL);
    pcapw_write_file(bad, orig, 0);
    CHECK_EQ_I(open_rc(bad, &test_id, DEC_VER, err, sizeof err), -1);
    CHECK(strstr(err, "empty") != NULL);
    CHECK_EQ_I(open_rc(dir, &test_id, DEC_VER, err, sizeof err), -1);   /* a directory */

    /* stale: absent, other decoder, other source; id NULL skips the source check */
    snprintf(bad, sizeof bad, "%s/absent.fsd", dir);
    CHECK_EQ_I(open_rc(bad, &test_id, DEC_VER, err, sizeof err), 1);
    CHECK(strstr(err, bad) == err);
    CHECK_EQ_I(open_rc(path, &test_id, DEC_VER + 1, err, sizeof err), 1);
    CHECK(strstr(err, "decoder version 7") != NULL && !strchr(err, '\n'));
    static const int64_t delta[6][6] = {
        {1, 0, 0, 0, 0, 0}, {0, 1, 0, 0, 0, 0}, {0, 0, 1, 0, 0, 0}, {0, 0, 0, 1, 0, 0},
        {0, 0, 0, 0, -1, 0}, {0, 0, 0, 0, 0, 1}};
    for (int k = 0; k < 6; k++) {
        fs_dcache_id id = test_id;
        id.dev += (uint64_t)delta[k][0];
        id.ino += (uint64_t)delta[k][1];
        id.size += (uint64_t)delta[k][2];
        id.mtime_s += delta[k][3];
        id.mtime_ns += delta[k][4];
        id.sample += (uint64_t)delta[k][5];   /* the same stat, other contents */
        CHECK_EQ_I(open_rc(path, &id, DEC_VER, err, sizeof err), 1);
        CHECK(strstr(err, "stale") != NULL && strstr(err, "/some/trace.pcap") != NULL);
    }
    CHECK_EQ_I(open_rc(path, NULL, DEC_VER, err, sizeof err), 0);
    snprintf(bad, sizeof bad, "%s/bad.fsd", dir);
    /* another format version or byte order, intact otherwise: stale */
    memcpy(b, orig, len);
    b[8] ^= 2;
    fix_checksum(b, len);
    pcapw_write_file(bad, b, len);
    CHECK_EQ_I(open_rc(bad, &test_id, DEC_VER, err, sizeof err), 1);
    CHECK(strstr(err, "format version") != NULL);
    memcpy(b, orig, len);
    uint32_t bom = 0x04030201;
    memcpy(b + 12, &bom, 4);
    fix_checksum(b, len);
    pcapw_write_file(bad, b, len);
    CHECK_EQ_I(open_rc(bad, &test_id, DEC_VER, err, sizeof err), 1);
    CHECK(strstr(err, "byte order") != NULL);

    /* well-checksummed but malformed: the parser must still refuse it (at
     * open or during replay) without reading out of bounds */
    uint32_t hdr_size;
    memcpy(&hdr_size, orig + 20, 4);
    memcpy(b, orig, len);
    b[hdr_size] = 0x99;              /* first record's kind */
    fix_checksum(b, len);
    pcapw_write_file(bad, b, len);
    {
        fs_dcache_r *r = NULL;
        fs_file_info fi;
        CHECK_EQ_I(fs_dcache_r_open(&r, bad, &test_id, DEC_VER, &fi, err, sizeof err), 0);
        if (r) {
            fs_pkt p;
            CHECK_EQ_I(fs_dcache_r_next(r, &p, NULL), -1);
            CHECK(corrupt_msg(fs_dcache_r_error(r), bad));
            CHECK(strstr(fs_dcache_r_error(r), "bad record kind") != NULL);
            CHECK_EQ_I(fs_dcache_r_next(r, &p, NULL), -1);   /* sticky */
            uint64_t h[4];
            fs_pkt ps[4];
            CHECK_EQ_I(fs_dcache_r_next_batch(r, ps, h, 4), -1);
            fs_dcache_r_close(r);
        }
    }
    /* a one-record cache whose IPv4 record claims the longer IPv6 form: the
     * record would run into the trailer */
    {
        char one[128];
        snprintf(one, sizeof one, "%s/one.fsd", dir);
        fs_pkt pk[32];
        handmade(pk, 32);   /* pk[0] is IPv4 */
        fs_dcache_w *w = NULL;
        fs_file_info fi;
        fake_info(&fi, test_id.size);
        CHECK_EQ_I(fs_dcache_w_open(&w, one, &test_id, "", DEC_VER, DLT_EN10MB, 0, 0, err,
                                    sizeof err), 0);
        fs_dcache_w_add(w, &pk[0]);
        CHECK_EQ_I(fs_dcache_w_commit(w, &fi, err, sizeof err), 0);
        size_t l1;
        uint8_t *o1 = pcapw_read_file(one, &l1);
        CHECK(o1 && l1 == 96 + 8 + 56 + (128 + 8 * FS_DEC__COUNT) + 8);
        if (o1 && l1 == 96 + 8 + 56 + (128 + 8 * FS_DEC__COUNT) + 8) {
            CHECK_EQ_I(o1[104], 0x34);
            o1[104] = 0x36;
            fix_checksum(o1, l1);
            pcapw_write_file(one, o1, l1);
            fs_dcache_r *r = NULL;
            CHECK_EQ_I(fs_dcache_r_open(&r, one, &test_id, DEC_VER, &fi, err, sizeof err), 0);
            if (r) {
                fs_pkt p;
                CHECK_EQ_I(fs_dcache_r_next(r, &p, NULL), -1);
                CHECK(strstr(fs_dcache_r_error(r), "partial record") != NULL);
                fs_dcache_r_close(r);
            }
        }
        free(o1);
        unlink(one);
    }
    /* random damage with a valid checksum: anything but a crash or a hang */
    srand(12345);
    int outcomes[4] = {0};
    for (int it = 0; it < 2000; it++) {
        memcpy(b, orig, len);
        int nflip = 1 + rand() % 4;
        for (int j = 0; j < nflip; j++) {
            size_t at = (size_t)rand() % (len - 8);
            if (rand() % 3 == 0 && at >= hdr_size)   /* often aim at a record's kind */
                at = hdr_size + (at - hdr_size) / 8 * 8;
            b[at] = (uint8_t)rand();
        }
        size_t l = rand() % 5 == 0 ? 16 + (size_t)rand() % (len - 16) : len;
        fix_checksum(b, l);
        pcapw_write_file(bad, b, l);
        int rc = open_rc(bad, &test_id, DEC_VER, err, sizeof err);
        CHECK(rc == -1 || rc == 0 || rc == 1 || rc == 2);
        outcomes[rc == -1 ? 0 : rc == 2 ? 3 : rc]++;
    }
    if (getenv("TF_VERBOSE"))
        fprintf(stderr, "    random damage: %d refused, %d ok, %d stale, %d refused in replay\n",
                outcomes[0], outcomes[1], outcomes[2], outcomes[3]);
    /* a larger file: flips at spread-out positions of the body */
    CHECK_EQ_I(write_handmade(path, 5000, NULL, NULL), 0);
    free(orig);
    free(b);
    orig = pcapw_read_file(path, &len);
    b = orig ? malloc(len) : NULL;
    for (int k = 0; b && k < 64; k++) {
        size_t at = (size_t)((double)k / 63.0 * (double)(len - 1));
        memcpy(b, orig, len);
        b[at] ^= 0x80;
        pcapw_write_file(bad, b, len);
        CHECK_EQ_I(open_rc(bad, &test_id, DEC_VER, err, sizeof err), -1);
        pcapw_write_file(bad, orig, at);
        CHECK_EQ_I(open_rc(bad, &test_id, DEC_VER, err, sizeof err), -1);
    }
    free(orig);
    free(b);
    CHECK(pcapw_rmdir(dir) == 0);
}

/* ---- 4. atomic commit, abort, write errors, names ------------------------------ */

TEST(dcache_commit_atomic)
{
    char dir[64], path[128], err[512];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    snprintf(path, sizeof path, "%s/a.fsd", dir);
    fs_pkt pk[32];
    size_t n = handmade(pk, 32);
    fs_file_info fi;
    fake_info(&fi, test_id.size);

    /* abort: the temp file exists while writing and is gone after */
    fs_dcache_w *w = NULL;
    CHECK_EQ_I(fs_dcache_w_open(&w, path, &test_id, "x.pcap", DEC_VER, DLT_EN10MB, 0, 0, err,
                                sizeof err), 0);
    for (size_t i = 0; i < n; i++)
        fs_dcache_w_add(w, &pk[i]);
    CHECK_EQ_I(dir_entries(dir), 1);
    CHECK(!exists(path));
    fs_dcache_w_abort(w);
    CHECK_EQ_I(dir_entries(dir), 0);
    fs_dcache_w_abort(NULL);

    /* commit over an existing (old) cache: replaced in one step */
    CHECK_EQ_I(write_handmade(path, 1, NULL, NULL), 0);
    CHECK_EQ_I(fs_dcache_w_open(&w, path, &test_id, "x.pcap", DEC_VER + 1, DLT_EN10MB, 0, 0,
                                err, sizeof err), 0);
    fs_dcache_w_add(w, &pk[0]);
    CHECK_EQ_I(dir_entries(dir), 2);
    CHECK_EQ_I(open_rc(path, &test_id, DEC_VER, err, sizeof err), 0);   /* old one intact */
    CHECK_EQ_I(fs_dcache_w_commit(w, &fi, err, sizeof err), 0);
    CHECK_EQ_I(dir_entries(dir), 1);
    CHECK_EQ_I(open_rc(path, &test_id, DEC_VER + 1, err, sizeof err), 0);

    /* refused commits leave nothing behind and name the file */
    unlink(path);
    fs_file_info part = fi;
    part.sha256_done = 0;
    CHECK_EQ_I(fs_dcache_w_open(&w, path, &test_id, "x.pcap", DEC_VER, DLT_EN10MB, 0, 0, err,
                                sizeof err), 0);
    CHECK_EQ_I(fs_dcache_w_commit(w, &part, err, sizeof err), -1);
    CHECK(strstr(err, path) == err);
    CHECK_EQ_I(dir_entries(dir), 0);
    CHECK_EQ_I(fs_dcache_w_open(&w, path, &test_id, "x.pcap", DEC_VER, DLT_RAW, 0, 0, err,
                                sizeof err), 0);
    fs_dcache_w_add(w, &pk[0]);   /* an Ethernet packet in a raw-IP cache */
    CHECK_EQ_I(fs_dcache_w_commit(w, &fi, err, sizeof err), -1);
    CHECK(strstr(err, "link type") != NULL);
    CHECK_EQ_I(dir_entries(dir), 0);

    /* a write error (file size limit: EFBIG, as a full disk gives ENOSPC) */
    struct rlimit old;
    CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
    struct rlimit lim = old;
    lim.rlim_cur = 1 << 20;
    void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);
    if (setrlimit(RLIMIT_FSIZE, &lim) == 0) {
        CHECK_EQ_I(fs_dcache_w_open(&w, path, &test_id, "x.pcap", DEC_VER, DLT_EN10MB, 0, 0,
                                    err, sizeof err), 0);
        for (int r = 0; r < 100000; r++)
            fs_dcache_w_add(w, &pk[(size_t)r % n]);
        int rc = fs_dcache_w_commit(w, &fi, err, sizeof err);
        setrlimit(RLIMIT_FSIZE, &old);
        CHECK_EQ_I(rc, -1);
        CHECK(strstr(err, path) == err && strstr(err, "cannot write") != NULL);
        CHECK(!strchr(err, '\n'));
        CHECK_EQ_I(dir_entries(dir), 0);
    }
    signal(SIGXFSZ, oldsig);

    /* cannot create the temp file */
    char nodir[160];
    snprintf(nodir, sizeof nodir, "%s/no/such/dir/a.fsd", dir);
    CHECK_EQ_I(fs_dcache_w_open(&w, nodir, &test_id, "x.pcap", DEC_VER, DLT_EN10MB, 0, 0, err,
                                sizeof err), -1);
    CHECK(w == NULL);
    CHECK(strstr(err, nodir) == err);
    CHECK(pcapw_rmdir(dir) == 0);
}

TEST(dcache_names)
{
    char dir[64], pcap[128], a[256], b[256], err[256];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    snprintf(pcap, sizeof pcap, "%s/t.pcap", dir);
    CHECK(pcapw_write_file(pcap, "abc", 3) == 0);
    fs_dcache_id id, id2;
    CHECK_EQ_I(fs_dcache_id_of(pcap, &id, err, sizeof err), 0);
    CHECK_EQ_U(id.size, 3);
    CHECK(id.ino != 0);
    CHECK_EQ_I(fs_dcache_path("/var/cache/x", pcap, &id, a, sizeof a), 0);
    CHECK(strncmp(a, "/var/cache/x/", 13) == 0 && strlen(a) == 13 + 16 + 4);
    CHECK(strcmp(a + strlen(a) - 4, ".fsd") == 0);
    CHECK_EQ_I(fs_dcache_path("/var/cache/x/", pcap, &id, b, sizeof b), 0);
    CHECK_STR(a, b);
    /* the same file by another path: the same name */
    char other[160];
    snprintf(other, sizeof other, "%s/./t.pcap", dir);
    CHECK_EQ_I(fs_dcache_path("/var/cache/x", other, &id, b, sizeof b), 0);
    CHECK_STR(a, b);
    id2 = id;
    id2.mtime_ns++;
    CHECK_EQ_I(fs_dcache_path("/var/cache/x", pcap, &id2, b, sizeof b), 0);
    CHECK(strcmp(a, b) != 0);
    CHECK_EQ_I(fs_dcache_path("/var/cache/x", pcap, &id, b, 20), -1);
    snprintf(other, sizeof other, "%s/missing.pcap", dir);
    CHECK_EQ_I(fs_dcache_path("/var/cache/x", other, &id, b, sizeof b), -1);
    CHECK_EQ_I(fs_dcache_id_of(other, &id2, err, sizeof err), -1);
    CHECK(strstr(err, other) == err);
    CHECK(pcapw_rmdir(dir) == 0);
}
