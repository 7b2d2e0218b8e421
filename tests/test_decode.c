/* flowsim — known-answer tests of the trace reader and the frame decoder.
 * Every test writes its own small captures (pcapw, or pcapng by hand) into
 * a fresh temp directory, reads them back through fs_reader_* and checks
 * every field of every packet against values worked out by hand from the
 * header layouts; the last test checks the shipped real captures against
 * the counts measured with capinfos/tshark in traces/real/README.md.
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "fs.h"
#include "reader.h"
#include "pcapw.h"
#include "tf.h"

/* The runner declares the tests from the generated list; these prototypes
 * keep -Wmissing-prototypes quiet for the definitions below. */
void test_decode_ethernet(void);
void test_decode_vlan(void);
void test_decode_sll_sll2(void);
void test_decode_raw(void);
void test_decode_null_loop(void);
void test_decode_ipv4_options(void);
void test_decode_ipv4_fragments(void);
void test_decode_ipv6_ext_headers(void);
void test_decode_ipv6_fragment(void);
void test_decode_icmp(void);
void test_decode_sctp_udplite_other(void);
void test_decode_snaplen(void);
void test_decode_truncated(void);
void test_decode_not_ip(void);
void test_decode_bad_headers(void);
void test_decode_ts_backwards(void);
void test_decode_ts_micro(void);
void test_decode_pcapng(void);
void test_decode_merge(void);
void test_decode_sha256(void);
void test_decode_pure(void);
void test_decode_fuzz(void);
void test_decode_linktype_name(void);
void test_decode_err_empty(void);
void test_decode_err_short_header(void);
void test_decode_err_truncated_record(void);
void test_decode_err_garbage(void);
void test_decode_err_pcapng_block_len(void);
void test_decode_err_unsupported_link(void);
void test_decode_err_nonexistent(void);
void test_decode_err_second_file(void);
void test_decode_real_traces(void);

/* A fixed epoch for the synthetic captures: 2023-11-14 22:13:20 UTC. */
#define T0 (INT64_C(1700000000) * FS_NS_PER_S)

#define A4 "192.0.2.1"
#define B4 "198.51.100.2"
#define A6 "2001:db8::1"
#define B6 "2001:db8:0:1::2"

/* ---- helpers ---------------------------------------------------------------- */

#define MAXP 64          /* packets kept per read in these small tests */
#define HEAD 128         /* bytes of each frame kept to compare with the built one */

typedef struct rd {
    int          open_rc;
    int          rc;            /* last fs_reader_next result: 0 end, -1 error */
    int          n;             /* packets returned */
    int          nfiles;
    fs_pkt       p[MAXP];
    uint8_t      head[MAXP][HEAD];
    fs_file_info info[4];       /* copied after the read; path is NULL and */
    char         ltname[4][64]; /* linktype_name points here, as the reader is gone */
    char         err[512];
} rd;

/* Opens paths, reads to the end (or the first error) and keeps everything. */
static void read_paths(rd *out, const char *const *paths, int n)
{
    memset(out, 0, sizeof *out);
    fs_reader *r = NULL;
    out->open_rc = fs_reader_open(&r, paths, n, out->err, sizeof out->err);
    if (out->open_rc != 0)
        return;
    fs_pkt p;
    while ((out->rc = fs_reader_next(r, &p, out->err, sizeof out->err)) == 1) {
        if (out->n < MAXP) {
            out->p[out->n] = p;
            /* The frame is valid only until the next call: copy its head now. */
            memcpy(out->head[out->n], p.data, p.caplen < HEAD ? p.caplen : HEAD);
        }
        out->n++;
    }
    out->nfiles = fs_reader_nfiles(r);
    for (int i = 0; i < out->nfiles && i < 4; i++) {
        out->info[i] = *fs_reader_file(r, i);
        snprintf(out->ltname[i], sizeof out->ltname[i], "%s", out->info[i].linktype_name);
        out->info[i].linktype_name = out->ltname[i];
        out->info[i].path = NULL;
    }
    fs_reader_close(r);
}

static void read_path(rd *out, const char *path)
{
    read_paths(out, &path, 1);
}

/* The expected decode of one packet: every field of fs_pkt except data. */
typedef struct exp_pkt {
    int64_t     ts;
    uint16_t    source;
    int         linktype;
    const char *src, *dst;      /* IPv4 or IPv6 literals */
    uint8_t     proto;
    uint16_t    sport, dport;
    uint8_t     tos;
    uint16_t    vlan;
    uint32_t    ip_len, wire_len, caplen;
    uint16_t    l3_end, ports_end, flags_end;
    uint8_t     tcp_flags, frag;
    uint16_t    ip_id;
} exp_pkt;

/* Compares and prints every mismatching field; 1 if all match. The key is
 * also compared as bytes against one built from scratch, which checks the
 * IPv4-mapped form and that padding is zero. */
static int pkt_is(const fs_pkt *p, const exp_pkt *e)
{
    fs_key k;
    memset(&k, 0, sizeof k);
    if (inet_pton(AF_INET, e->src, k.src + 12) == 1) {
        inet_pton(AF_INET, e->dst, k.dst + 12);
        k.src[10] = k.src[11] = k.dst[10] = k.dst[11] = 0xff;
    } else {
        inet_pton(AF_INET6, e->src, k.src);
        inet_pton(AF_INET6, e->dst, k.dst);
        k.flags = FS_KEY_V6;
    }
    k.proto = e->proto;
    k.sport = e->sport;
    k.dport = e->dport;
    k.tos = e->tos;
    k.vlan = e->vlan;
    int ok = 1;
#define F(got, want) do { if ((long long)(got) != (long long)(want)) { ok = 0; \
        fprintf(stderr, "    %s: got %lld, want %lld\n", #got, (long long)(got), (long long)(want)); } } while (0)
    F(p->ts, e->ts);
    F(p->source, e->source);
    F(p->linktype, e->linktype);
    F(p->key.flags, k.flags);
    F(p->key.proto, e->proto);
    F(p->key.sport, e->sport);
    F(p->key.dport, e->dport);
    F(p->key.tos, e->tos);
    F(p->key.vlan, e->vlan);
    F(p->ip_len, e->ip_len);
    F(p->wire_len, e->wire_len);
    F(p->caplen, e->caplen);
    F(p->l3_end, e->l3_end);
    F(p->ports_end, e->ports_end);
    F(p->flags_end, e->flags_end);
    F(p->tcp_flags, e->tcp_flags);
    F(p->frag, e->frag);
    F(p->ip_id, e->ip_id);
#undef F
    if (memcmp(&p->key, &k, sizeof k) != 0) {
        char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, p->key.src, s, sizeof s);
        inet_ntop(AF_INET6, p->key.dst, d, sizeof d);
        fprintf(stderr, "    key bytes differ: got src %s dst %s pad0 %u pad1 %u, want %s -> %s\n",
                s, d, p->key.pad0, p->key.pad1, e->src, e->dst);
        ok = 0;
    }
    if (!p->data) {
        fprintf(stderr, "    data is NULL\n");
        ok = 0;
    }
    return ok;
}

#define CHECK_PKT(p, ...) CHECK(pkt_is((p), &(exp_pkt){ __VA_ARGS__ }))

/* Checks that exactly the listed statuses have the given counts. */
static int status_is(const fs_file_info *fi, const uint64_t want[FS_DEC__COUNT])
{
    int ok = 1;
    for (int s = 0; s < FS_DEC__COUNT; s++)
        if (fi->status[s] != want[s]) {
            fprintf(stderr, "    status %s: got %llu, want %llu\n", fs_decode_status_name[s],
                    (unsigned long long)fi->status[s], (unsigned long long)want[s]);
            ok = 0;
        }
    return ok;
}
#define CHECK_STATUS(fi, ...) CHECK(status_is((fi), (const uint64_t[FS_DEC__COUNT]){ __VA_ARGS__ }))

static void path_in(char *buf, size_t n, const char *dir, const char *name)
{
    snprintf(buf, n, "%s/%s", dir, name);
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* SHA-256 of a file's bytes with OpenSSL directly, as the reference. */
static void sha256_file(const char *path, char hex[65])
{
    hex[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    unsigned char buf[8192], md[EVP_MAX_MD_SIZE];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        EVP_DigestUpdate(c, buf, n);
    unsigned int len = 0;
    EVP_DigestFinal_ex(c, md, &len);
    EVP_MD_CTX_free(c);
    fclose(f);
    for (unsigned i = 0; i < len; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* ---- link layers ------------------------------------------------------------ */

TEST(decode_ethernet)
{
    char dir[64], path[128];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    path_in(path, sizeof path, dir, "eth.pcap");
    pcapw *w = pcapw_open(path, DLT_EN10MB, 1);
    CHECK(w != NULL);
    if (!w)
        return;
    uint8_t frames[4][256];
    size_t flen[4];
    pcapw_pkt s[4];
    s[0] = pcapw_tcp(A4, 40000, B4, 80, FS_TCP_SYN);
    s[0].tos = 0x10;
    s[0].ip_id = 0x1111;
    s[1] = pcapw_tcp(B4, 80, A4, 40000, FS_TCP_SYN | FS_TCP_ACK);
    s[1].payload_len = 100;
    s[1].ip_id = 0xfedc;
    s[2] = pcapw_tcp(A6, 40001, B6, 443, FS_TCP_PSH | FS_TCP_ACK);
    s[2].tos = 0xb8;
    s[2].payload_len = 10;
    s[3] = pcapw_udp(A4, 5353, B4, 53);
    s[3].payload_len = 30;
    const int64_t ts[4] = { T0 + 1, T0 + FS_NS_PER_S + 500000123, T0 + 2 * FS_NS_PER_S,
                            T0 + 2 * FS_NS_PER_S };
    for (int i = 0; i < 4; i++) {
        flen[i] = pcapw_build(frames[i], sizeof frames[i], DLT_EN10MB, &s[i]);
        CHECK(flen[i] > 0);
        CHECK(pcapw_add(w, ts[i], frames[i], (uint32_t)flen[i], (uint32_t)flen[i]) == 0);
    }
    CHECK(pcapw_close(w) == 0);
    /* 14 Ethernet + 20 IPv4 + 20 TCP; + 100 payload; 14 + 40 IPv6 + 20 + 10;
     * 14 + 20 + 8 UDP + 30. */
    CHECK_EQ_U(flen[0], 54);
    CHECK_EQ_U(flen[1], 154);
    CHECK_EQ_U(flen[2], 84);
    CHECK_EQ_U(flen[3], 72);

    rd r;
    read_path(&r, path);
    CHECK_EQ_I(r.open_rc, 0);
    CHECK_EQ_I(r.rc, 0);
    CHECK_EQ_I(r.n, 4);
    CHECK_PKT(&r.p[0], .ts = T0 + 1, .linktype = DLT_EN10MB, .src = A4, .dst = B4, .proto = 6,
              .sport = 40000, .dport = 80, .tos = 0x10, .ip_len = 40, .wire_len = 54,
              .caplen = 54, .l3_end = 34, .ports_end = 38, .flags_end = 48,
              .tcp_flags = FS_TCP_SYN, .ip_id = 0x1111);
    CHECK_PKT(&r.p[1], .ts = T0 + 1500000123, .linktype = DLT_EN10MB, .src = B4, .dst = A4,
              .proto = 6, .sport = 80, .dport = 40000, .ip_len = 140, .wire_len = 154,
              .caplen = 154, .l3_end = 34, .ports_end = 38, .flags_end = 48,
              .tcp_flags = FS_TCP_SYN | FS_TCP_ACK, .ip_id = 0xfedc);
    CHECK_PKT(&r.p[2], .ts = T0 + 2000000000, .linktype = DLT_EN10MB, .src = A6, .dst = B6,
              .proto = 6, .sport = 40001, .dport = 443, .tos = 0xb8, .ip_len = 70,
              .wire_len = 84, .caplen = 84, .l3_end = 54, .ports_end = 58, .flags_end = 68,
              .tcp_flags = FS_TCP_PSH | FS_TCP_ACK);
    CHECK_PKT(&r.p[3], .ts = T0 + 2000000000, .linktype = DLT_EN10MB, .src = A4, .dst = B4,
              .proto = 17, .sport = 5353, .dport = 53, .ip_len = 58, .wire_len = 72,
              .caplen = 72, .l3_end = 34, .ports_end = 38);
    for (int i = 0; i < 4; i++)
        CHECK(memcmp(r.head[i], frames[i], flen[i] < HEAD ? flen[i] : HEAD) == 0);

    const fs_file_info *fi = &r.info[0];
    CHECK_EQ_I(r.nfiles, 1);
    CHECK_EQ_I(fi->linktype, DLT_EN10MB);
    CHECK_STR(fi->linktype_name, "EN10MB");
    CHECK_EQ_I(fi->is_pcapng, 0);
    CHECK_EQ_U(fi->snaplen, PCAPW_DEFAULT_SNAPLEN);
    /* 24-byte global header + 4 records of 16-byte header + frame. */
    CHECK_EQ_U(fi->size_bytes, 24 + 4 * 16 + 54 + 154 + 84 + 72);
    CHECK_EQ_U(fi->size_bytes, file_size(path));
    CHECK_EQ_U(fi->frames, 4);
    CHECK_STATUS(fi, [FS_DEC_OK] = 4);
    CHECK_EQ_I(fi->first_ts, T0 + 1);
    CHECK_EQ_I(fi->last_ts, T0 + 2000000000);
    CHECK_EQ_I(fi->sha256_done, 1);
    pcapw_rmdir(dir);
}

TEST(decode_vlan)
{
    char dir[64], path[128];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    path_in(path, sizeof path, dir, "vlan.pcap");
    pcapw *w = pcapw_open(path, DLT_EN10MB, 1);
    if (!w) { CHECK(w != NULL); return; }

    pcapw_pkt s = pcapw_udp(A4, 1, B4, 2);           /* one 802.1Q tag */
    s.n_vlan = 1;
    s.vlan[0] = 100;
    CHECK(pcapw_put(w, T0, &s) == 0);

    s = pcapw_tcp(A4, 3, B4, 4, FS_TCP_RST);          /* 802.1ad outer + 802.1Q inner */
    s.n_vlan = 2;
    s.vlan[0] = 200;
    s.vlan[1] = 300;
    CHECK(pcapw_put(w, T0 + 1, &s) == 0);

    s = pcapw_udp(A6, 5, B6, 6);                      /* old 0x9100 QinQ, IPv6 inside */
    s.n_vlan = 2;
    s.vlan[0] = 7;
    s.vlan[1] = 8;
    s.vlan_tpid[0] = 0x9100;
    CHECK(pcapw_put(w, T0 + 2, &s) == 0);

    /* Priority 5 and DEI in the TCI must not leak into the VLAN id. */
    uint8_t f[256];
    s = pcapw_udp(A4, 9, B4, 10);
    s.n_vlan = 1;
    s.vlan[0] = 4094;
    size_t n = pcapw_build(f, sizeof f, DLT_EN10MB, &s);
    CHECK_EQ_U(n, 46);
    f[14] |= 0xb0;  /* PCP 101, DEI 1 in the TCI's top nibble */
    pcapw_add(w, T0 + 3, f, (uint32_t)n, (uint32_t)n);

    /* Three tags: insert a 0x8100 tag (VLAN 5) in front of a two-tag frame
     * of 14 + 8 + 20 + 8 = 50 bytes. */
    s = pcapw_udp(A4, 11, B4, 12);
    s.n_vlan = 2;
    s.vlan[0] = 10;
    s.vlan[1] = 20;
    n = pcapw_build(f + 4, sizeof f - 4, DLT_EN10MB, &s);
    CHECK_EQ_U(n, 50);
    memmove(f, f + 4, 12);
    const uint8_t tag[4] = { 0x81, 0x00, 0x00, 0x05 };
    memcpy(f + 12, tag, 4);
    pcapw_add(w, T0 + 4, f, (uint32_t)n + 4, (uint32_t)n + 4);
    CHECK(pcapw_close(w) == 0);

    rd r;
    read_path(&r, path);
    CHECK_EQ_I(r.open_rc, 0);
    CHECK_EQ_I(r.n, 5);
    CHECK_PKT(&r.p[0], .ts = T0, .linktype = 1, .src = A4, .dst = B4, .proto = 17, .sport = 1,
              .dport = 2, .vlan = 100, .ip_len = 28, .wire_len = 46, .caplen = 46,
              .l3_end = 38, .ports_end = 42);
    CHECK_PKT(&r.p[1], .ts = T0 + 1, .linktype = 1, .src = A4, .dst = B4, .proto = 6, .sport = 3,
              .dport = 4, .vlan = 200, .ip_len = 40, .wire_len = 62, .caplen = 62,
              .l3_end = 42, .ports_end = 46, .flags_end = 56, .tcp_flags = FS_TCP_RST);
    CHECK_PKT(&r.p[2], .ts = T0 + 2, .linktype = 1, .src = A6, .dst = B6, .proto = 17, .sport = 5,
              .dport = 6, .vlan = 7, .ip_len = 48, .wire_len = 70, .caplen = 70,
              .l3_end = 62, .ports_end = 66);
    CHECK_PKT(&r.p[3], .ts = T0 + 3, .linktype = 1, .src = A4, .dst = B4, .proto = 17, .sport = 9,
              .dport = 10, .vlan = 4094, .ip_len = 28, .wire_len = 46, .caplen = 46,
              .l3_end = 38, .ports_end = 42);
    CHECK_PKT(&r.p[4], .ts = T0 + 4, .linktype = 1, .src = A4, .dst = B4, .proto = 17, .sport = 11,
              .dport = 12, .vlan = 5, .ip_len = 28, .wire_len = 54, .caplen = 54,
              .l3_end = 46, .ports_end = 50);
    CHECK_STATUS(&r.info[0], [FS_DEC_OK] = 5);
    pcapw_rmdir(dir);
}

TEST(decode_sll_sll2)
{
    char dir[64], p1[128], p2[128];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    path_in(p1, sizeof p1, dir, "sll.pcap");
    path_in(p2, sizeof p2, dir, "sll2.pcap");
    pcapw_pkt arp = pcapw_ip(A4, B4, 0);
    arp.ipv = 0;
    arp.ethertype = 0x0806;
    arp.payload_len = 28;   /* an ARP request body */

    pcapw *w = pcapw_open(p1, DLT_LINUX_SLL, 1);
    if (!w) { CHECK(w != NULL); return; }
    pcapw_pkt s = pcapw_tcp(A4, 1, B4, 2, FS_TCP_SYN);
    CHECK(pcapw_put(w, T0, &s) == 0);
    s = pcapw_udp(A6, 3, B6, 4);
    s.payload_len = 5;
    CHECK(pcapw_put(w, T0 + 10, &s) == 0);
    CHECK(pcapw_put(w, T0 + 20, &arp) == 0);
    s = pcapw_udp(A4, 5, B4, 6);  /* VLAN tag re-inserted by libpcap after the header */
    s.n_vlan = 1;
    s.vlan[0] = 42;
    CHECK(pcapw_put(w, T0 + 30, &s) == 0);
    CHECK(pcapw_close(w) == 0);

    w = pcapw_open(p2, DLT_LINUX_SLL2, 1);
    if (!w) { CHECK(w != NULL); return; }
    s = pcapw_tcp(A4, 7, B4, 8, FS_TCP_FIN);
    CHECK(pcapw_put(w, T0, &s) == 0);
    s = pcapw_tcp(A6, 9, B6, 10, FS_TCP_ACK);
    CHECK(pcapw_put(w, T0 + 1, &s) == 0);
    CHECK(pcapw_put(w, T0 + 2, &arp) == 0);
    CHECK(pcapw_close(w) == 0);

    rd r;
    read_path(&r, p1);
    CHECK_EQ_I(r.open_rc, 0);
    CHECK_EQ_I(r.n, 3);
    CHECK_EQ_I(r.info[0].linktype, DLT_LINUX_SLL);
    CHECK_STR(r.info[0].linktype_name, "LINUX_SLL");
    CHECK_PKT(&r.p[0], .ts = T0, .linktype = DLT_LINUX_SLL, .src = A4, .dst = B4, .proto = 6,
              .sport = 1, .dport = 2, .ip_len = 40, .wire_len = 56, .caplen = 56, .l3_end = 36,
              .ports_end = 40, .flags_end = 50, .tcp_flags = FS_TCP_SYN);
    CHECK_PKT(&r.p[1], .ts = T0 + 10, .linktype = DLT_LINUX_SLL, .src = A6, .dst = B6,
              .proto = 17, .sport = 3, .dport = 4, .ip_len = 53, .wire_len = 69, .caplen = 69,
              .l3_end = 56, .ports_end = 60);
    CHECK_PKT(&r.p[2], .ts = T0 + 30, .linktype = DLT_LINUX_SLL, .src = A4, .dst = B4,
              .proto = 17, .sport = 5, .dport = 6, .vlan = 42, .ip_len = 28, .wire_len = 48,
              .caplen = 48, .l3_end = 40, .ports_end = 44);
    CHECK_STATUS(&r.info[0], [FS_DEC_OK] = 3, [FS_DEC_NOT_IP] = 1);

    read_path(&r, p2);
    CHECK_EQ_I(r.open_rc, 0);
    CHECK_EQ_I(r.n, 2);
    CHECK_EQ_I(r.info[0].linktype, DLT_LINUX_SLL2);
    CHECK_STR(r.info[0].linktype_name, "LINUX_SLL2");
    CHECK_PKT(&r.p[0], .ts = T0, .linktype = DLT_LINUX_SLL2, .src = A4, .dst = B4, .proto = 6,
              .sport = 7, .dport = 8, .ip_len = 40, .wire_len = 60, .caplen = 60, .l3_end = 40,
              .ports_end = 44, .flags_end = 54, .tcp_flags = FS_TCP_FIN);
    CHECK_PKT(&r.p[1], .ts = T0 + 1, .linktype = DLT_LINUX_SLL2, .src = A6, .dst = B6,
              .proto = 6, .sport = 9, .dport = 10, .ip_len = 60, .wire_len = 80, .caplen = 80,
              .l3_end = 60, .ports_end = 64, .flags_end = 74, .tcp_flags = FS_TCP_ACK);
    CHECK_STATUS(&r.info[0], [FS_DEC_OK] = 2, [FS_DEC_NOT_IP] = 1);
    pcapw_rmdir(dir);
}

TEST(decode_raw)
{
    char dir[64], pr[128], p4[128], p6[128];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    path_in(pr, sizeof pr, dir, "raw.pcap");
    path_in(p4, sizeof p4, dir, "ipv4.pcap");
    path_in(p6, sizeof p6, dir, "ipv6.pcap");

    pcapw *w = pcapw_open(pr, DLT_RAW, 1);
    if (!w) { CHECK(w != NULL); return; }
    pcapw_pkt v4 = pcapw_udp(A4, 1, B4, 2);
    pcapw_pkt v6 = pcapw_tcp(A6, 3, B6, 4, FS_TCP_SYN);
    pcapw_pkt v5 = pcapw_udp(A4, 5, B4, 6);
    v5.version = 5;                       /* neither 4 nor 6 */
    CHECK(pcapw_put(w, T0, &v4) == 0);
    CHECK(pcapw_put(w, T0 + 1, &v6) == 0);
    CHECK(pcapw_put(w, T0 + 2, &v5) == 0);
    CHECK(pcapw_close(w) == 0);

    w = pcapw_open(p4, DLT_IPV4, 1);
    if (!w) { CHECK(w != NULL); return; }
    pcapw_pkt icmp = pcapw_ip(A4, B4, 1);
    icmp.icmp_type = 8;                   /* echo request */
    CHECK(pcapw_put(w, T0, &icmp) == 0);
    CHECK(pcapw_put(w, T0 + 1, &v6) == 0);  /* wrong version for the link */
    CHECK(pcapw_close(w) == 0);

    w = pcapw_open(p6, DLT_IPV6, 1);
    if (!w) { CHECK(w != NULL); return; }
    CHECK(pcapw_put(w, T0, &v6) == 0);
    CHECK(pcapw_put(w, T0 + 1, &v4) == 0);  /* wrong version for the link */
    CHECK(pcapw_close(w) == 0);

    /* libpcap writes DLT_RAW as LINKTYPE_RAW (101) on disk and maps it back. */
    FILE *f = fopen(pr, "rb");
    uint8_t gh[24] = { 0 };
    CHECK(f && fread(gh, 1, sizeof gh, f) == sizeof gh);
    if (f)
        fclose(f);
    uint32_t disk_lt = (uint32_t)gh[20] | (uint32_t)gh[21] << 8 | (uint32_t)gh[22] << 16 |
                       (uint32_t)gh[23] << 24;
    CHECK_EQ_U(disk_lt, 101);

    rd r;
    read_path(&r, pr);
    CHECK_EQ_I(r.open_rc, 0);
    CHECK_EQ_I(r.info[0].linktype, DLT_RAW);
    CHECK_STR(r.info[0].linktype_name, "RAW");
    CHECK_EQ_I(r.n, 2);
    CHECK_PKT(&r.p[0], .ts = T0, .linktype = DLT_RAW, .src = A4, .dst = B4, .proto = 17,
              .sport = 1, .dport = 2, .ip_len = 28, .wire_len = 28, .caplen = 28, .l3_end = 20,
              .ports_end = 24);
    CHECK_PKT(&r.p[1], .ts = T0 + 1, .linktype = DLT_RAW, .src = A6, .dst = B6, .proto = 6,
              .sport = 3, .dport = 4, .ip_len = 60, .wire_len = 60, .caplen = 60, .l3_end = 40,
              .ports_end = 44, .flags_end = 54, .tcp_flags = FS_TCP_SYN);
    CHECK_STATUS(&r.info[0], [FS_DEC_OK] = 2, [FS_DEC_BAD_VERSION] = 1);

    read_path(&r, p4);
    CHECK_EQ_I(r.open_rc, 0);
    CHECK_EQ_I(r.info[0].linktype, DLT_IPV4);
    CHECK_STR(r.info[0].linktype_name, "IPV4");
    CHECK_EQ_I(r.n, 1);
    CHECK_PKT(&r.p[0], .ts = T0, .linktype = DLT_IPV4, .src = A4, .dst = B4, .proto = 1,
              .dport = 8 * 256, .ip_len = 28, .wire_len = 28, .caplen = 28, .l3_end = 20,
              .ports_end = 22);
    CHECK_STATUS(&r.info[0], [FS_DEC_OK] = 1, [FS_DEC_BAD_VERSION] = 1);

    read_path(&r, p6);
    CHECK_EQ_I(r.open_rc, 0);
    CHECK_EQ_I(r.info[0].linktype, DLT_IPV6);
    CHECK_EQ_I(r.n, 1);
    CHECK_PKT(&r.p[0], .ts = T0, .linktype = DLT_IPV6, .src = A6, .dst = B6, .proto = 6,
              .sport = 3, .dport = 4, .ip_len = 60, .wire_len = 60, .caplen = 60, .l3_end = 40,
              .ports_end = 44, .flags_end = 54, .tcp_flags = FS_TCP_SYN);
    CHECK_STATUS(&r.info[0], [FS_DEC_OK] = 1, [FS_DEC_BAD_VERSION] = 1);
    pcapw_rmdir(dir);
}

TEST(decode_null_loop)
{
    char dir[64], pn[128], pl[128];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    path_in(pn, sizeof pn, dir, "null.pcap");
    path_in(pl, sizeof pl, dir, "loop.pcap");

    /* DLT_NULL: host byte order of the capturing machine, either order. */
    pcapw *w = pcapw_open(pn, DLT_NULL, 1);
    if (!w) { CHECK(w != NULL); return; }
    pcapw_pkt s = pcapw_udp(A4, 1, B4, 100);       /* AF_INET, our order */
    CHECK(pcapw_put(w, T0, &s) == 0);
    s.sport = 2;
    s.af_swap = 1;                                 /* AF_INET, other order */
    CHECK(pcapw_put(w, T0 + 1, &s) == 0);
    s = pcapw_udp(A6, 3, B6, 100);
    s.af = 24;                                     /* NetBSD/OpenBSD AF_INET6 */
    CHECK(pcapw_put(w, T0 + 2, &s) == 0);
    s.sport = 4;
    s.af = 28;                                     /* FreeBSD, other order */
    s.af_swap = 1;
    CHECK(pcapw_put(w, T0 + 3, &s) == 0);
    s.sport = 5;
    s.af = 30;                                     /* Darwin */
    s.af_swap = 0;
    CHECK(pcapw_put(w, T0 + 4, &s) == 0);
    s = pcapw_udp(A4, 6, B4, 100);
    s.af = 7;                                      /* not an IP family */
    CHECK(pcapw_put(w, T0 + 5, &s) == 0);
    s = pcapw_udp(A6, 7, B6, 100);
    s.af = 2;                                      /* says IPv4, carries IPv6 */
    CHECK(pcapw_put(w, T0 + 6, &s) == 0);
    CHECK(pcapw_close(w) == 0);

    /* DLT_LOOP: always network byte order. */
    w = pcapw_open(pl, DLT_LOOP, 1);
    if (!w) { CHECK(w != NULL); return; }
    s = pcapw_udp(A4, 11, B4, 100);
    CHECK(pcapw_put(w, T0, &s) == 0);
    const uint32_t fams[3] = { 24, 28, 30 };
    for (int i = 0; i < 3; i++) {
        s = pcapw_udp(A6, (uint16_t)(12 + i), B6, 100);
        s.af = fams[i];
        CHECK(pcapw_put(w, T0 + 1 + i, &s) == 0);
    }
    uint8_t f[128];
    s = pcapw_udp(A4, 15, B4, 100);
    size_t n = pcapw_build(f, sizeof f, DLT_LOOP, &s);
    const uint8_t le_inet[4] = { 2, 0, 0, 0 };    /* little-endian AF_INET: wrong for LOOP */
    memcpy(f, le_inet, 4);
    pcapw_add(w, T0 + 4, f, (uint32_t)n, (uint32_t)n);
    CHECK(pcapw_close(w) == 0);

    rd r;
    read_path(&r, pn);
    CHECK_EQ_I(r.open_rc, 0);
    CHECK_EQ_I(r.info[0].linktype, DLT_NULL);
    CHECK_STR(r.info[0].linktype_name, "NULL");
    CHECK_EQ_I(r.n, 5);
    for (int i = 0; i < 2; i++)
        CHECK_PKT(&r.p[i], .ts = T0 + i, .linktype = DLT_NULL, .src = A4, .dst = B4,
                  .proto = 17, .sport = (uint16_t)(1 + i), .dport = 100, .ip_len = 28,
                  .wire_len = 32, .caplen = 32, .l3_end = 24, .ports_end = 28);
    for (int i = 2; i < 5; i++)
        CHECK_PKT(&r.p[i], .ts = T0 + i, .linktype = DLT_NULL, .src = A6, .dst = B6,
                  .proto = 17, .sport = (uint16_t)(1 + i), .dport = 100, .ip_len = 48,
                  .wire_len = 52, .caplen = 52, .l3_end = 44, .ports_end = 48);
    CHECK_STATUS(&r.info[0], [FS_DEC_OK] = 5, [FS_DEC_NOT_IP] = 1, [FS_DEC_BAD_VERSION] = 1);

    read_path(&r, pl);
    CHECK_EQ_I(r.open_rc, 0);
    CHECK_EQ_I(r.info[0].linktype, DLT_LOOP);
    CHECK_STR(r.info[0].linktype_name, "LOOP");
    CHECK_EQ_I(r.n, 4);
    CHECK_PKT(&r.p[0], .ts = T0, .linktype = DLT_LOOP, .src = A4, .dst = B4, .proto = 17,
              .sport = 11, .dport = 100, .ip_len = 28, .wire_len = 32, .caplen = 32,
              .l3_end = 24, .ports_end = 28);
    for (int i = 1; i < 4; i++)
        CHECK_PKT(&r.p[i], .ts = T0 + i, .linktype = DLT_LOOP, .src = A6, .dst = B6,
                  .proto = 17, .sport = (uint16_t)(11 + i), .dport = 100, .ip_len = 48,
                  .wire_len = 52, .caplen = 52, .l3_end = 44, .ports_end = 48);
    CHECK_STATUS(&r.info[0], [FS_DEC_OK] = 4, [FS_DEC_NOT_IP] = 1);
    pcapw_rmdir(dir);
}

/* ---- IPv4 / IPv6 / transport ----------------------------------------------------- */

TEST(decode_ipv4_options)
{
    char dir[64], path[128];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    path_in(path, sizeof path, dir, "opt.pcap");
    pcapw *w = pcapw_open(path, DLT_EN10MB, 1);
    if (!w) { CHECK(w != NULL); return; }
    pcapw_pkt s = pcapw_tcp(A4, 1, B4, 2, FS_TCP_ACK);
    s.ip_opt_len = 8;                        /* IHL 7 */
    s.tos = 0x2e;
    CHECK(pcapw_put(w, T0, &s) == 0);
    s = pcapw_udp(A4, 3, B4, 4);
    s.ip_opt_len = 40;                       /* IHL 15, the maximum */
    s.payload_len = 4;
    CHECK(pcapw_put(w, T0 + 1, &s) == 0);
    CHECK(pcapw_close(w) == 0);

    rd r;
    read_path(&r, path);
    CHECK_EQ_I(r.n, 2);
    CHECK_PKT(&r.p[0], .ts = T0, .linktype = 1, .src = A4, .dst = B4, .proto = 6, .sport = 1,
              .dport = 2, .tos = 0x2e, .ip_len = 48, .wire_len = 62, .caplen = 62, .l3_end = 42,
              .ports_end = 46, .flags_end = 56, .tcp_flags = FS_TCP_ACK);
    CHECK_PKT(&r.p[1], .ts = T0 + 1, .linktype = 1, .src = A4, .dst = B4, .proto = 17,
              .sport = 3, .dport = 4, .ip_len = 72, .wire_len = 86, .caplen = 86, .l3_end = 74,
              .ports_end = 78);
    CHECK_STATUS(&r.info[0], [FS_DEC_OK] = 2);
    pcapw_rmdir(dir);
}

TEST(decode_ipv4_fragments)
{
    char dir[64], path[128];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    path_in(path, sizeof path, dir, "frag4.pcap");
    pcapw *w = pcapw_open(path, DLT_EN10MB, 1);
    if (!w) { CHECK(w != NULL); return; }
    /* One UDP datagram of 8 + 50 bytes in three fragments: 24, 24, 10 bytes. */
    pcapw_pkt s = pcapw_udp(A4, 5000, B4, 53);
    s.ip_id = 0x1234;
    s.mf = 1;
    s.payload_len = 16;
    CHECK(pcapw_put(w, T0, &s) == 0);
    s.frag_off = 3;                          /* 24 bytes in */
    s.payload_len = 24;
    CHECK(pcapw_put(w, T0 + 1, &s) == 0);
    s.frag_off = 6;                          /* 48 bytes in, the last */
    s.mf = 0;
    s.payload_len = 10;
    CHECK(pcapw_put(w, T0 + 2, &s) == 0);
    s = pcapw_tcp(A4, 80, B4, 81, FS_TCP_ACK);  /* DF alone: not a fragment */
    s.df = 1;
    s.ip_id = 7;
    CHECK(pcapw_put(w, T0 + 3, &s) == 0);
    s = pcapw_tcp(A4, 82, B4, 83, FS_TCP_SYN);  /* TCP first fragment keeps the flags */
    s.mf = 1;
    s.ip_id = 8;
    s.payload_len = 4;
    CHECK(pcapw_put(w, T0 + 4, &s) == 0);
    CHECK(pcapw_close(w) == 0);

    rd r;
    read_path(&r, path);
    CHECK_EQ_I(r.n, 5);
    CHECK_PKT(&r.p[0], .ts = T0, .linktype = 1, .src = A4, .dst = B4, .proto = 17, .sport = 5000,
              .dport = 53, .ip_len = 44, .wire_len = 58, .caplen = 58, .l3_end = 34,
              .ports_end = 38, .frag = FS_FRAG_FIRST, .ip_id = 0x1234);
    CHECK_PKT(&r.p[1], .ts = T0 + 1, .linktype = 1, .src = A4, .dst = B4, .proto = 17,
              .ip_len = 44, .wire_len = 58, .caplen = 58, .l3_end = 34,
              .frag = FS_FRAG_LATER, .ip_id = 0x1234);
    CHECK_PKT(&r.p[2], .ts = T0 + 2, .linktype = 1, .src = A4, .dst = B4, .proto = 17,
              .ip_len = 30, .wire_len = 44, .caplen = 44, .l3_end = 34,
              .frag = FS_FRAG_LATER, .ip_id = 0x1234);
    CHECK_PKT(&r.p[3], .ts = T0 + 3, .linktype = 1, .src = A4, .dst = B4, .proto = 6, .sport = 80,
              .dport = 81, .ip_len = 40, .wire_len = 54, .caplen = 54, .l3_end = 34,
              .ports_end = 38, .flags_end = 48, .tcp_flags = FS_TCP_ACK, .ip_id = 7);
    CHECK_PKT(&r.p[4], .ts = T0 + 4, .linktype = 1, .src = A4, .dst = B4, .proto = 6, .sport = 82,
              .dport = 83, .ip_len = 44, .wire_len = 58, .caplen = 58, .l3_end = 34,
              .ports_end = 38, .flags_end = 48, .tcp_flags = FS_TCP_SYN,
              .frag = FS_FRAG_FIRST, .ip_id = 8);
    CHECK_STATUS(&r.info[0], [FS_DEC_OK] = 3, [FS_DEC_FRAGMENT] = 2);
    CHECK_STR(fs_decode_status_name[FS_DEC_FRAGMENT], "fragment_later");
    pcapw_rmdir(dir);
}

TEST(decode_ipv6_ext_headers)
{
    char dir[64], path[128];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    path_in(path, sizeof path, dir, "ext6.pcap");
    pcapw *w = pcapw_open(path, DLT_EN10MB, 1);
    if (!w) { CHECK(w != NULL); return; }
    /* Hop-by-hop (8) + routing (24) + destination options (16) + TCP. */
    pcapw_pkt s = pcapw_tcp(A6, 1000, B6, 2000, FS_TCP_ACK);
    s.n_ext = 3;
    s.ext[0] = 0;
    s.ext[1] = 43;
    s.ext_units[1] = 2;
    s.ext[2] = 60;
    s.ext_units[2] = 1;
    s.payload_len = 7;
    CHECK(pcapw_put(w, T0, &s) == 0);
    /* AH (24 bytes: (4 + 2) * 4) + UDP. */
    s = pcapw_udp(A6, 1001, B6, 2001);
    s.n_ext = 1;
    s.ext[0] = 51;
    CHECK(pcapw_put(w, T0 + 1, &s) == 0);
    /* ESP: the walk stops, no ports. */
    s = pcapw_ip(A6, B6, 50);
    s.payload_len = 32;
    CHECK(pcapw_put(w, T0 + 2, &s) == 0);
    /* Destination options, then no next header. */
    s = pcapw_ip(A6, B6, 59);
    s.n_ext = 1;
    s.ext[0] = 60;
    CHECK(pcapw_put(w, T0 + 3, &s) == 0);
    /* Payload length 0 with no jumbo option (a BIG TCP capture), frame
     * captured whole: ip_len is the frame after the Ethernet header,
     * 66 - 14 = 52; ports still read. */
    s = pcapw_udp(A6, 1004, B6, 2004);
    s.payload_len = 4;
    s.ip_len_set = 1;
    s.ip_len = 0;
    CHECK(pcapw_put(w, T0 + 4, &s) == 0);
    /* Hop-by-hop, then ESP. */
    s = pcapw_ip(A6, B6, 50);
    s.n_ext = 1;
    s.ext[0] = 0;
    s.payload_len = 16;
    CHECK(pcapw_put(w, T0 + 5, &s) == 0);
    /* A 32-byte hop-by-hop header cut by the capture: truncated_ip, dropped. */
    s = pcapw_udp(A6, 1006, B6, 2006);
    s.n_ext = 1;
    s.ext[0] = 0;
    s.ext_units[0] = 3;
    s.snaplen = 14 + 40 + 16;
    CHECK(pcapw_put(w, T0 + 6, &s) == 0);
    CHECK(pcapw_close(w) == 0);

    rd r;
    read_path(&r, path);
    CHECK_EQ_I(r.n, 6);
    CHECK_PKT(&r.p[0], .ts = T0, .linktype = 1, .src = A6, .dst = B6, .proto = 6, .sport = 1000,
              .dport = 2000, .ip_len = 115, .wire_len = 129, .caplen = 129, .l3_end = 102,
              .ports_end = 106, .flags_end = 116, .tcp_flags = FS_TCP_ACK);
    CHECK_PKT(&r.p[1], .ts = T0 + 1, .linktype = 1, .src = A6, .dst = B6, .proto = 17,
              .sport = 1001, .dport = 2001, .ip_len = 72, .wire_len = 86, .caplen = 86,
              .l3_end = 78, .ports_end = 82);
    CHECK_PKT(&r.p[2], .ts = T0 + 2, .linktype = 1, .src = A6, .dst = B6, .proto = 50,
              .ip_len = 72, .wire_len = 86, .caplen = 86, .l3_end = 54);
    CHECK_PKT(&r.p[3], .ts = T0 + 3, .linktype = 1, .src = A6, .dst = B6, .proto = 59,
              .ip_len = 48, .wire_len = 62, .caplen = 62, .l3_end = 62);
    CHECK_PKT(&r.p[4], .ts = T0 + 4, .linktype = 1, .src = A6, .dst = B6, .proto = 17,
              .sport = 1004, .dport = 2004, .ip_len = 52, .wire_len = 66, .caplen = 66,
              .l3_end = 54, .ports_end = 58);
    CHECK_PKT(&r.p[5], .ts = T0 + 5, .linktype = 1, .src = A6, .dst = B6, .proto = 50,
              .ip_len = 64, .wire_len = 78, .caplen = 78, .l3_end = 62);
    CHECK_STATUS(&r.info[0], [FS_DEC_OK] = 6, [FS_DEC_TRUNC_IP] = 1);
    pcapw_rmdir(dir);
}

TEST(decode_ipv6_fragment)
{
    char dir[64], path[128];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    path_in(path, sizeof path, dir, "frag6.pcap");
    pcapw *w = pcapw_open(path, DLT_EN10MB, 1);
    if (!w) { CHECK(w != NULL); return; }
    pcapw_pkt s = pcapw_udp(A6, 5000, B6, 53);  /* first fragment */
    s.n_ext = 1;
    s.ext[0] = 44;
    s.mf = 1;
    s.ip_id = 99;
    s.payload_len = 16;
    CHECK(pcapw_put(w, T0, &s) == 0);
    s.frag_off = 3;                             /* later fragment */
    s.payload_len = 24;
    CHECK(pcapw_put(w, T0 + 1, &s) == 0);
    s = pcapw_tcp(A6, 80, B6, 81, FS_TCP_ACK);  /* hop-by-hop, then a last fragment */
    s.n_ext = 2;
    s.ext[0] = 0;
    s.ext[1] = 44;
    s.frag_off = 6;
    s.payload_len = 8;
    CHECK(pcapw_put(w, T0 + 2, &s) == 0);
    s = pcapw_tcp(A6, 82, B6, 83, FS_TCP_SYN);  /* atomic fragment: offset 0, M clear */
    s.n_ext = 1;
    s.ext[0] = 44;
    CHECK(pcapw_put(w, T0 + 3, &s) == 0);
    s = pcapw_ip(A6, B6, 58);                   /* first fragment, then dest options, ICMPv6 */
    s.icmp_type = 128;
    s.n_ext = 2;
    s.ext[0] = 44;
    s.ext[1] = 60;
    s.mf = 1;
    CHECK(pcapw_put(w, T0 + 4, &s) == 0);
    CHECK(pcapw_close(w) == 0);

    rd r;
    read_path(&r, path);
    CHECK_EQ_I(r.n, 5);
    CHECK_PKT(&r.p[0], .ts = T0, .linktype = 1, .src = A6, .dst = B6, .proto = 17, .sport = 5000,
              .dport = 53, .ip_len = 72, .wire_len = 86, .caplen = 86, .l3_end = 62,
              .ports_end = 66, .frag = FS_FRAG_FIRST);
    CHECK_PKT(&r.p[1], .ts = T0 + 1, .linktype = 1, .src = A6, .dst = B6, .proto = 17,
              .ip_len = 72, .wire_len = 86, .caplen = 86, .l3_end = 62, .frag = FS_FRAG_LATER);
    CHECK_PKT(&r.p[2], .ts = T0 + 2, .linktype = 1, .src = A6, .dst = B6, .proto = 6,
              .ip_len = 64, .wire_len = 78, .caplen = 78, .l3_end = 70, .frag = FS_FRAG_LATER);
    CHECK_PKT(&r.p[3], .ts = T0 + 3, .linktype = 1, .src = A6, .dst = B6, .proto = 6, .sport = 82,
              .dport = 83, .ip_len = 68, .wire_len = 82, .caplen = 82, .l3_end = 62,
              .ports_end = 66, .flags_end = 76, .tcp_flags = FS_TCP_SYN);
    CHECK_PKT(&r.p[4], .ts = T0 + 4, .linktype = 1, .src = A6, .dst = B6, .proto = 58,
              .dport = 128 * 256, .ip_len = 64, .wire_len = 78, .caplen = 78, .l3_end = 70,
              .ports_end = 72, .frag = FS_FRAG_FIRST);
    CHECK_STATUS(&r.info[0], [FS_DEC_OK] = 3, [FS_DEC_FRAGMENT] = 2);
    pcapw_rmdir(dir);
}

TEST(decode_icmp)
{
    char dir[64], path[128];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    path_in(path, sizeof path, dir, "icmp.pcap");
    pcapw *w = pcapw_open(path, DLT_EN10MB, 1);
    if (!w) { CHECK(w != NULL); return; }
    /* (type, code): echo request, port unreachable; ICMPv6 echo request,
     * neighbour solicitation, port unreachable. */
    const uint8_t tc[5][2] = { { 8, 0 }, { 3, 3 }, { 128, 0 }, { 135, 0 }, { 1, 4 } };
    for (int i = 0; i < 5; i++) {
        pcapw_pkt s = i < 2 ? pcapw_ip(A4, B4, 1) : pcapw_ip(A6, B6, 58);
        s.icmp_type = tc[i][0];
        s.icmp_code = tc[i][1];
        CHECK(pcapw_put(w, T0 + i, &s) == 0);
    }
    CHECK(pcapw_close(w) == 0);

    rd r;
    read_path(&r, path);
    CHECK_EQ_I(r.n, 5);
    CHECK_PKT(&r.p[0], .ts = T0, .linktype = 1, .src = A4, .dst = B4, .proto = 1, .dport = 2048,
              .ip_len = 28, .wire_len = 42, .caplen = 42, .l3_end = 34, .ports_end = 36);
    CHECK_PKT(&r.p[1], .ts = T0 + 1, .linktype = 1, .src = A4, .dst = B4, .proto = 1,
              .dport = 771, .ip_len = 28, .wire_len = 42, .caplen = 42, .l3_end = 34,
              .ports_end = 36);
    CHECK_PKT(&r.p[2], .ts = T0 + 2, .linktype = 1, .src = A6, .dst = B6, .proto = 58,
              .dport = 32768, .ip_len = 48, .wire_len = 62, .caplen = 62, .l3_end = 54,
              .ports_end = 56);
    CHECK_PKT(&r.p[3], .ts = T0 + 3, .linktype = 1, .src = A6, .dst = B6, .proto = 58,
              .dport = 34560, .ip_len = 48, .wire_len = 62, .caplen = 62, .l3_end = 54,
              .ports_end = 56);
    CHECK_PKT(&r.p[4], .ts = T0 + 4, .linktype = 1, .src = A6, .dst = B6, .proto = 58,
              .dport = 260, .ip_len = 48, .wire_len = 62, .caplen = 62, .l3_end = 54,
              .ports_end = 56);
    CHECK_STATUS(&r.info[0], [FS_DEC_OK] = 5);
    pcapw_rmdir(dir);
}

TEST(decode_sctp_udplite_other)
{
    char dir[64], path[128];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    path_in(path, sizeof path, dir, "l4.pcap");
    pcapw *w = pcapw_open(path, DLT_EN10MB, 1);
    if (!w) { CHECK(w != NULL); return; }
    pcapw_pkt s = pcapw_ip(A4, B4, 132);     /* SCTP */
    s.sport = 2905;
    s.dport = 3868;
    CHECK(pcapw_put(w, T0, &s) == 0);
    s = pcapw_ip(A6, B6, 132);
    s.sport = 36412;
    s.dport = 36412;
    CHECK(pcapw_put(w, T0 + 1, &s) == 0);
    s = pcapw_ip(A6, B6, 136);               /* UDP-Lite */
    s.sport = 1234;
    s.dport = 5678;
    CHECK(pcapw_put(w, T0 + 2, &s) == 0);
    s = pcapw_ip(A4, B4, 47);                /* GRE: no ports */
    s.payload_len = 4;
    CHECK(pcapw_put(w, T0 + 3, &s) == 0);
    CHECK(pcapw_close(w) == 0);

    rd r;
    read_path(&r, path);
    CHECK_EQ_I(r.n, 4);
    CHECK_PKT(&r.p[0], .ts = T0, .linktype = 1, .src = A4, .dst = B4, .proto = 132, .sport = 2905,
              .dport = 3868, .ip_len = 32, .wire_len = 46, .caplen = 46, .l3_end = 34,
              .ports_end = 38);
    CHECK_PKT(&r.p[1], .ts = T0 + 1, .linktype = 1, .src = A6, .dst = B6, .proto = 132,
              .sport = 36412, .dport = 36412, .ip_len = 52, .wire_len = 66, .caplen = 66,
              .l3_end = 54, .ports_end = 58);
    CHECK_PKT(&r.p[2], .ts = T0 + 2, .linktype = 1, .src = A6, .dst = B6, .proto = 136,
              .sport = 1234, .dport = 5678, .ip_len = 48, .wire_len = 62, .caplen = 62,
              .l3_end = 54, .ports_end = 58);
    CHECK_PKT(&r.p[3], .ts = T0 + 3, .linktype = 1, .src = A4, .dst = B4, .proto = 47,
              .ip_len = 24, .wire_len = 38, .caplen = 38, .l3_end = 34);
    CHECK_STATUS(&r.info[0], [FS_DEC_OK] = 4);
    pcapw_rmdir(dir);
}

TEST(decode_snaplen)
{
    char dir[64], p64[128], p96[128];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    path_in(p64, sizeof p64, dir, "snap64.pcap");
    path_in(p96, sizeof p96, dir, "snap96.pcap");

    pcapw *w = pcapw_open_snap(p64, DLT_EN10MB, 1, 64);
    if (!w) { CHECK(w != NULL); return; }
    pcapw_pkt s = pcapw_tcp(A4, 1, B4, 2, FS_TCP_ACK);   /* flags at byte 47: kept */
    s.payload_len = 1000;
    s.snaplen = 64;
    CHECK(pcapw_put(w, T0, &s) == 0);
    s = pcapw_tcp(A6, 3, B6, 4, FS_TCP_ACK);             /* flags at byte 67: cut */
    s.payload_len = 1000;
    s.snaplen = 64;
    CHECK(pcapw_put(w, T0 + 1, &s) == 0);
    s = pcapw_udp(A4, 5, B4, 6);
    s.payload_len = 1400;
    s.snaplen = 64;
    CHECK(pcapw_put(w, T0 + 2, &s) == 0);
    s = pcapw_tcp(A4, 7, B4, 8, FS_TCP_ACK);             /* 20 option bytes: flags cut */
    s.ip_opt_len = 20;
    s.payload_len = 500;
    s.snaplen = 64;
    CHECK(pcapw_put(w, T0 + 3, &s) == 0);
    s.ip_opt_len = 40;                                   /* IP header itself cut */
    CHECK(pcapw_put(w, T0 + 4, &s) == 0);
    s = pcapw_tcp(A6, 9, B6, 10, FS_TCP_ACK);            /* extension headers cut */
    s.n_ext = 2;
    s.ext[0] = 0;
    s.ext[1] = 60;
    s.snaplen = 64;
    CHECK(pcapw_put(w, T0 + 5, &s) == 0);
    s = pcapw_tcp(A4, 11, B4, 12, FS_TCP_ACK);           /* ports cut (2 of 4 bytes) */
    s.payload_len = 100;
    s.snaplen = 36;
    CHECK(pcapw_put(w, T0 + 6, &s) == 0);
    CHECK(pcapw_close(w) == 0);

    w = pcapw_open_snap(p96, DLT_EN10MB, 1, 96);
    if (!w) { CHECK(w != NULL); return; }
    s = pcapw_tcp(A6, 13, B6, 14, FS_TCP_FIN);           /* 16 ext bytes fit in 96 */
    s.n_ext = 2;
    s.ext[0] = 0;
    s.ext[1] = 60;
    s.payload_len = 1000;
    s.snaplen = 96;
    CHECK(pcapw_put(w, T0, &s) == 0);
    s.n_vlan = 2;                                        /* + QinQ + 32 more ext bytes: cut */
    s.vlan[0] = 1;
    s.vlan[1] = 2;
    s.n_ext = 3;
    s.ext[1] = 43;
    s.ext_units[1] = 2;
    s.ext[2] = 60;
    s.ext_units[2] = 1;
    CHECK(pcapw_put(w, T0 + 1, &s) == 0);
    s = pcapw_tcp(A4, 15, B4, 16, FS_TCP_PSH);
    s.n_vlan = 1;
    s.vlan[0] = 3;
    s.payload_len = 1000;
    s.snaplen = 96;
    CHECK(pcapw_put(w, T0 + 2, &s) == 0);
    CHECK(pcapw_close(w) == 0);

    rd r;
    read_path(&r, p64);
    CHECK_EQ_U(r.info[0].snaplen, 64);
    CHECK_EQ_I(r.n, 5);
    CHECK_PKT(&r.p[0], .ts = T0, .linktype = 1, .src = A4, .dst = B4, .proto = 6, .sport = 1,
              .dport = 2, .ip_len = 1040, .wire_len = 1054, .caplen = 64, .l3_end = 34,
              .ports_end = 38, .flags_end = 48, .tcp_flags = FS_TCP_ACK);
    CHECK_PKT(&r.p[1], .ts = T0 + 1, .linktype = 1, .src = A6, .dst = B6, .proto = 6, .sport = 3,
              .dport = 4, .ip_len = 1060, .wire_len = 1074, .caplen = 64, .l3_end = 54,
              .ports_end = 58, .flags_end = 68);
    CHECK_PKT(&r.p[2], .ts = T0 + 2, .linktype = 1, .src = A4, .dst = B4, .proto = 17,
              .sport = 5, .dport = 6, .ip_len = 1428, .wire_len = 1442, .caplen = 64,
              .l3_end = 34, .ports_end = 38);
    CHECK_PKT(&r.p[3], .ts = T0 + 3, .linktype = 1, .src = A4, .dst = B4, .proto = 6, .sport = 7,
              .dport = 8, .ip_len = 560, .wire_len = 574, .caplen = 64, .l3_end = 54,
              .ports_end = 58, .flags_end = 68);
    CHECK_PKT(&r.p[4], .ts = T0 + 6, .linktype = 1, .src = A4, .dst = B4, .proto = 6,
              .ip_len = 140, .wire_len = 154, .caplen = 36, .l3_end = 34, .ports_end = 38,
              .flags_end = 48);
    CHECK_STATUS(&r.info[0], [FS_DEC_OK] = 2, [FS_DEC_TRUNC_L4] = 3, [FS_DEC_TRUNC_IP] = 2);

    read_path(&r, p96);
    CHECK_EQ_U(r.info[0].snaplen, 96);
    CHECK_EQ_I(r.n, 2);
    CHECK_PKT(&r.p[0], .ts = T0, .linktype = 1, .src = A6, .dst = B6, .proto = 6, .sport = 13,
              .dport = 14, .ip_len = 1076, .wire_len = 1090, .caplen = 96, .l3_end = 70,
              .ports_end = 74, .flags_end = 84, .tcp_flags = FS_TCP_FIN);
    CHECK_PKT(&r.p[1], .ts = T0 + 2, .linktype = 1, .src = A4, .dst = B4, .proto = 6,
              .sport = 15, .dport = 16, .vlan = 3, .ip_len = 1040, .wire_len = 1058,
              .caplen = 96, .l3_end = 38, .ports_end = 42, .flags_end = 52,
              .tcp_flags = FS_TCP_PSH);
    CHECK_STATUS(&r.info[0], [FS_DEC_OK] = 2, [FS_DEC_TRUNC_IP] = 1);
    pcapw_rmdir(dir);
}

TEST(decode_truncated)
{
    char dir[64], path[128];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    path_in(path, sizeof path, dir, "trunc.pcap");
    pcapw *w = pcapw_open(path, DLT_EN10MB, 1);
    if (!w) { CHECK(w != NULL); return; }
    pcapw_pkt s = pcapw_tcp(A4, 1, B4, 2, FS_TCP_SYN);
    s.snaplen = 10;                 /* inside the Ethernet header */
    CHECK(pcapw_put(w, T0, &s) == 0);
    s.snaplen = 14;                 /* Ethernet complete, no IP byte */
    CHECK(pcapw_put(w, T0 + 1, &s) == 0);
    s.snaplen = 30;                 /* inside the IPv4 header */
    CHECK(pcapw_put(w, T0 + 2, &s) == 0);
    s.n_vlan = 1;
    s.snaplen = 16;                 /* inside the VLAN tag */
    CHECK(pcapw_put(w, T0 + 3, &s) == 0);
    s = pcapw_tcp(A6, 1, B6, 2, FS_TCP_SYN);
    s.snaplen = 50;                 /* inside the IPv6 header */
    CHECK(pcapw_put(w, T0 + 4, &s) == 0);
    s.snaplen = 0;
    CHECK(pcapw_put(w, T0 + 5, &s) == 0);
    CHECK(pcapw_close(w) == 0);

    rd r;
    read_path(&r, path);
    CHECK_EQ_I(r.n, 1);
    CHECK_PKT(&r.p[0], .ts = T0 + 5, .linktype = 1, .src = A6, .dst = B6, .proto = 6, .sport = 1,
              .dport = 2, .ip_len = 60, .wire_len = 74, .caplen = 74, .l3_end = 54,
              .ports_end = 58, .flags_end = 68, .tcp_flags = FS_TCP_SYN);
    CHECK_EQ_U(r.info[0].frames, 6);
    CHECK_STATUS(&r.info[0], [FS_DEC_OK] = 1, [FS_DEC_TRUNC_LINK] = 2, [FS_DEC_TRUNC_IP] = 3);
    CHECK_EQ_I(r.info[0].first_ts, T0 + 5);
    CHECK_EQ_I(r.info[0].last_ts, T0 + 5);
    pcapw_rmdir(dir);
}

TEST(decode_not_ip)
{
    char dir[64], path[128];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    path_in(path, sizeof path, dir, "notip.pcap");
    pcapw *w = pcapw_open(path, DLT_EN10MB, 1);
    if (!w) { CHECK(w != NULL); return; }
    /* ARP, LLDP, an 802.3 length field (LLC frame), PPPoE discovery, and
     * VLAN-tagged ARP. */
    const uint16_t types[5] = { 0x0806, 0x88cc, 0x0026, 0x8863, 0x0806 };
    for (int i = 0; i < 5; i++) {
        pcapw_pkt s = pcapw_ip(A4, B4, 0);
        s.ipv = 0;
        s.ethertype = types[i];
        s.payload_len = 46;
        s.n_vlan = i == 4;
        s.vlan[0] = 9;
        CHECK(pcapw_put(w, T0 + i, &s) == 0);
    }
    pcapw_pkt s = pcapw_udp(A4, 1, B4, 2);
    CHECK(pcapw_put(w, T0 + 5, &s) == 0);
    CHECK(pcapw_close(w) == 0);

    rd r;
    read_path(&r, path);
    CHECK_EQ_I(r.n, 1);
    CHECK_PKT(&r.p[0], .ts = T0 + 5, .linktype = 1, .src = A4, .dst = B4, .proto = 17,
              .sport = 1, .dport = 2, .ip_len = 28, .wire_len = 42, .caplen = 42, .l3_end = 34,
              .ports_end = 38);
    CHECK_EQ_U(r.info[0].frames, 6);
    CHECK_STATUS(&r.info[0], [FS_DEC_OK] = 1, [FS_DEC_NOT_IP] = 5);
    CHECK_STR(fs_decode_status_name[FS_DEC_NOT_IP], "not_ip");
    pcapw_rmdir(dir);
}

TEST(decode_bad_headers)
{
    char dir[64], path[128];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    path_in(path, sizeof path, dir, "bad.pcap");
    pcapw *w = pcapw_open(path, DLT_EN10MB, 1);
    if (!w) { CHECK(w != NULL); return; }
    pcapw_pkt s = pcapw_udp(A6, 1, B6, 2);
    s.ethertype = 0x0800;            /* says IPv4, is version 6 */
    CHECK(pcapw_put(w, T0, &s) == 0);
    s = pcapw_udp(A4, 1, B4, 2);
    s.ethertype = 0x86dd;            /* says IPv6, is version 4 */
    CHECK(pcapw_put(w, T0 + 1, &s) == 0);
    s = pcapw_udp(A4, 1, B4, 2);
    s.version = 15;                  /* version 15 under 0x0800 */
    CHECK(pcapw_put(w, T0 + 2, &s) == 0);
    s = pcapw_udp(A4, 1, B4, 2);
    s.ihl = 4;                       /* IHL < 5 */
    CHECK(pcapw_put(w, T0 + 3, &s) == 0);
    s = pcapw_udp(A4, 1, B4, 2);
    s.ip_len_set = 1;
    s.ip_len = 10;                   /* total length < 20 */
    CHECK(pcapw_put(w, T0 + 4, &s) == 0);
    s = pcapw_udp(A4, 1, B4, 2);
    s.ip_opt_len = 4;
    s.ip_len_set = 1;
    s.ip_len = 22;                   /* total length < IHL*4 = 24 */
    CHECK(pcapw_put(w, T0 + 5, &s) == 0);
    s = pcapw_udp(A4, 1, B4, 2);
    CHECK(pcapw_put(w, T0 + 6, &s) == 0);
    CHECK(pcapw_close(w) == 0);

    rd r;
    read_path(&r, path);
    CHECK_EQ_I(r.n, 1);
    CHECK_PKT(&r.p[0], .ts = T0 + 6, .linktype = 1, .src = A4, .dst = B4, .proto = 17,
              .sport = 1, .dport = 2, .ip_len = 28, .wire_len = 42, .caplen = 42, .l3_end = 34,
              .ports_end = 38);
    CHECK_STATUS(&r.info[0], [FS_DEC_OK] = 1, [FS_DEC_BAD_VERSION] = 3, [FS_DEC_BAD_HEADER] = 3);
    pcapw_rmdir(dir);
}

/* ---- timestamps, pcapng, merging, hashing ---------------------------------------- */

TEST(decode_ts_backwards)
{
    char dir[64], path[128];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    path_in(path, sizeof path, dir, "back.pcap");
    pcapw *w = pcapw_open(path, DLT_EN10MB, 1);
    if (!w) { CHECK(w != NULL); return; }
    pcapw_pkt arp = pcapw_ip(A4, B4, 0);
    arp.ipv = 0;
    arp.ethertype = 0x0806;
    arp.payload_len = 28;
    const int64_t ts[6] = { 10, 12, 11, 9, 11, 13 };   /* seconds after T0; [3] is ARP */
    for (int i = 0; i < 6; i++) {
        pcapw_pkt s = pcapw_udp(A4, (uint16_t)(i + 1), B4, 53);
        CHECK(pcapw_put(w, T0 + ts[i] * FS_NS_PER_S + (i == 4 ? 500000000 : 0),
                        i == 3 ? &arp : &s) == 0);
    }
    CHECK(pcapw_close(w) == 0);

    rd r;
    read_path(&r, path);
    CHECK_EQ_I(r.n, 5);
    const int64_t want_ts[5] = { 10, 12, 12, 12, 13 };  /* 11, 11.5 clamped to 12 */
    const uint16_t want_sport[5] = { 1, 2, 3, 5, 6 };
    for (int i = 0; i < 5; i++)
        CHECK_PKT(&r.p[i], .ts = T0 + want_ts[i] * FS_NS_PER_S, .linktype = 1, .src = A4,
                  .dst = B4, .proto = 17, .sport = want_sport[i], .dport = 53, .ip_len = 28,
                  .wire_len = 42, .caplen = 42, .l3_end = 34, .ports_end = 38);
    /* 11 s, the ARP frame at 9 s and 11.5 s went backwards; the ARP frame
     * still counts once as not_ip. */
    CHECK_STATUS(&r.info[0], [FS_DEC_OK] = 5, [FS_DEC_NOT_IP] = 1, [FS_DEC_TS_BACKWARDS] = 3);
    CHECK_EQ_U(r.info[0].frames, 6);
    CHECK_EQ_I(r.info[0].first_ts, T0 + 10 * FS_NS_PER_S);
    CHECK_EQ_I(r.info[0].last_ts, T0 + 13 * FS_NS_PER_S);
    pcapw_rmdir(dir);
}

TEST(decode_ts_micro)
{
    char dir[64], path[128];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    path_in(path, sizeof path, dir, "micro.pcap");
    pcapw *w = pcapw_open(path, DLT_EN10MB, 0);
    if (!w) { CHECK(w != NULL); return; }
    pcapw_pkt s = pcapw_udp(A4, 1, B4, 2);
    CHECK(pcapw_put(w, T0 + 1001234, &s) == 0);          /* 1.001234 ms: 1001 us on disk */
    CHECK(pcapw_put(w, T0 + 2999999999, &s) == 0);       /* 2.999999 s on disk */
    CHECK(pcapw_close(w) == 0);
    rd r;
    read_path(&r, path);
    CHECK_EQ_I(r.n, 2);
    CHECK_EQ_I(r.p[0].ts, T0 + 1001000);
    CHECK_EQ_I(r.p[1].ts, T0 + 2999999000);
    CHECK_STATUS(&r.info[0], [FS_DEC_OK] = 2);
    pcapw_rmdir(dir);
}

/* Little-endian pcapng block writer for hand-made files. */
typedef struct ngbuf {
    uint8_t b[4096];
    size_t  n;
} ngbuf;

static void ng_u16(ngbuf *g, uint16_t v)
{
    g->b[g->n++] = (uint8_t)v;
    g->b[g->n++] = (uint8_t)(v >> 8);
}

static void ng_u32(ngbuf *g, uint32_t v)
{
    ng_u16(g, (uint16_t)v);
    ng_u16(g, (uint16_t)(v >> 16));
}

/* One block: type, total length, body padded to 4 bytes, total length. */
static void ng_block(ngbuf *g, uint32_t type, const uint8_t *body, size_t n)
{
    size_t pad = (4 - n % 4) % 4;
    uint32_t total = (uint32_t)(12 + n + pad);
    ng_u32(g, type);
    ng_u32(g, total);
    memcpy(g->b + g->n, body, n);
    memset(g->b + g->n + n, 0, pad);
    g->n += n + pad;
    ng_u32(g, total);
}

static void ng_shb(ngbuf *g)
{
    ngbuf body = { .n = 0 };
    ng_u32(&body, 0x1a2b3c4d);   /* byte-order magic */
    ng_u16(&body, 1);            /* version 1.0 */
    ng_u16(&body, 0);
    ng_u32(&body, 0xffffffff);   /* section length -1: not given */
    ng_u32(&body, 0xffffffff);
    ng_block(g, 0x0a0d0d0a, body.b, body.n);
}

/* Interface description with an if_tsresol option (10^-tsresol seconds). */
static void ng_idb(ngbuf *g, uint16_t linktype, uint32_t snaplen, uint8_t tsresol)
{
    ngbuf body = { .n = 0 };
    ng_u16(&body, linktype);
    ng_u16(&body, 0);
    ng_u32(&body, snaplen);
    ng_u16(&body, 9);            /* if_tsresol */
    ng_u16(&body, 1);
    body.b[body.n++] = tsresol;
    body.b[body.n++] = 0;        /* option padding to 4 bytes */
    body.b[body.n++] = 0;
    body.b[body.n++] = 0;
    ng_u16(&body, 0);            /* opt_endofopt */
    ng_u16(&body, 0);
    ng_block(g, 1, body.b, body.n);
}

static void ng_epb(ngbuf *g, uint64_t ts_units, const uint8_t *frame, uint32_t caplen,
                   uint32_t len)
{
    ngbuf body = { .n = 0 };
    ng_u32(&body, 0);            /* interface 0 */
    ng_u32(&body, (uint32_t)(ts_units >> 32));
    ng_u32(&body, (uint32_t)ts_units);
    ng_u32(&body, caplen);
    ng_u32(&body, len);
    memcpy(body.b + body.n, frame, caplen);
    body.n += caplen;
    ng_block(g, 6, body.b, body.n);
}

TEST(decode_pcapng)
{
    char dir[64], pns[128], pus[128];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    path_in(pns, sizeof pns, dir, "ns.pcapng");
    path_in(pus, sizeof pus, dir, "us.pcapng");
    uint8_t f1[128], f2[128];
    pcapw_pkt s1 = pcapw_tcp(A4, 1111, B4, 2222, FS_TCP_SYN);
    pcapw_pkt s2 = pcapw_udp(A6, 3333, B6, 4444);
    s2.payload_len = 20;
    size_t n1 = pcapw_build(f1, sizeof f1, DLT_EN10MB, &s1);
    size_t n2 = pcapw_build(f2, sizeof f2, DLT_EN10MB, &s2);
    CHECK_EQ_U(n1, 54);
    CHECK_EQ_U(n2, 82);

    static ngbuf g;
    g.n = 0;
    ng_shb(&g);
    ng_idb(&g, 1, 65535, 9);     /* nanoseconds */
    ng_epb(&g, (uint64_t)T0 + 5, f1, (uint32_t)n1, (uint32_t)n1);
    const uint8_t junk[12] = { 'n', 'o', 't', ' ', 'a', ' ', 'p', 'a', 'c', 'k', 'e', 't' };
    ng_block(&g, 0x00000bad, junk, sizeof junk);   /* unknown type: skipped */
    ng_epb(&g, (uint64_t)T0 + 7, f2, 60, (uint32_t)n2);  /* truncated to 60 */
    CHECK(pcapw_write_file(pns, g.b, g.n) == 0);

    g.n = 0;
    ng_shb(&g);
    ng_idb(&g, 1, 0, 6);         /* microseconds; snaplen 0 = unlimited */
    ng_epb(&g, UINT64_C(1700000000123456), f1, (uint32_t)n1, (uint32_t)n1);
    CHECK(pcapw_write_file(pus, g.b, g.n) == 0);

    rd r;
    read_path(&r, pns);
    CHECK_EQ_I(r.open_rc, 0);
    CHECK_EQ_I(r.rc, 0);
    CHECK_EQ_I(r.n, 2);
    CHECK_EQ_I(r.info[0].is_pcapng, 1);
    CHECK_EQ_I(r.info[0].linktype, DLT_EN10MB);
    CHECK_EQ_U(r.info[0].snaplen, 65535);
    CHECK_EQ_U(r.info[0].frames, 2);
    CHECK_EQ_I(r.info[0].sha256_done, 1);
    CHECK_PKT(&r.p[0], .ts = T0 + 5, .linktype = 1, .src = A4, .dst = B4, .proto = 6,
              .sport = 1111, .dport = 2222, .ip_len = 40, .wire_len = 54, .caplen = 54,
              .l3_end = 34, .ports_end = 38, .flags_end = 48, .tcp_flags = FS_TCP_SYN);
    CHECK_PKT(&r.p[1], .ts = T0 + 7, .linktype = 1, .src = A6, .dst = B6, .proto = 17,
              .sport = 3333, .dport = 4444, .ip_len = 68, .wire_len = 82, .caplen = 60,
              .l3_end = 54, .ports_end = 58);
    CHECK(memcmp(r.head[1], f2, 60) == 0);
    CHECK_STATUS(&r.info[0], [FS_DEC_OK] = 2);

    read_path(&r, pus);
    CHECK_EQ_I(r.open_rc, 0);
    CHECK_EQ_I(r.n, 1);
    CHECK_EQ_I(r.info[0].is_pcapng, 1);
    CHECK_EQ_I(r.p[0].ts, T0 + 123456000);
    CHECK_EQ_U(r.p[0].key.sport, 1111);
    pcapw_rmdir(dir);
}

TEST(decode_merge)
{
    char dir[64], pa[128], pb[128], pc[128];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    path_in(pa, sizeof pa, dir, "a.pcap");
    path_in(pb, sizeof pb, dir, "b.pcap");
    path_in(pc, sizeof pc, dir, "c.pcap");
    pcapw *w = pcapw_open(pa, DLT_EN10MB, 1);
    if (!w) { CHECK(w != NULL); return; }
    const int64_t ta[4] = { 1, 3, 5, 5 };
    for (int i = 0; i < 4; i++) {
        pcapw_pkt s = pcapw_udp(A4, (uint16_t)(1 + i), B4, 9);
        CHECK(pcapw_put(w, ta[i] * FS_NS_PER_S, &s) == 0);
    }
    CHECK(pcapw_close(w) == 0);
    w = pcapw_open(pb, DLT_RAW, 1);
    if (!w) { CHECK(w != NULL); return; }
    const int64_t tb[5] = { 2, 3, 4, 5, 6 };
    for (int i = 0; i < 5; i++) {
        pcapw_pkt s = pcapw_udp(A4, (uint16_t)(11 + i), B4, 9);
        if (i == 2)
            s.version = 5;    /* dropped as bad_ip_version, but still in order */
        CHECK(pcapw_put(w, tb[i] * FS_NS_PER_S, &s) == 0);
    }
    CHECK(pcapw_close(w) == 0);
    w = pcapw_open(pc, DLT_EN10MB, 1);  /* a valid file with no packets */
    if (!w) { CHECK(w != NULL); return; }
    CHECK(pcapw_close(w) == 0);

    const char *paths[3] = { pa, pb, pc };
    rd r;
    read_paths(&r, paths, 3);
    CHECK_EQ_I(r.open_rc, 0);
    CHECK_EQ_I(r.rc, 0);
    CHECK_EQ_I(r.nfiles, 3);
    CHECK_EQ_I(r.n, 8);
    /* (ts s, file, sport): ties at 3 s and 5 s go to the lower file index. */
    const int want[8][3] = { { 1, 0, 1 }, { 2, 1, 11 }, { 3, 0, 2 }, { 3, 1, 12 },
                             { 5, 0, 3 }, { 5, 0, 4 }, { 5, 1, 14 }, { 6, 1, 15 } };
    for (int i = 0; i < 8 && i < r.n; i++) {
        int raw = want[i][1] == 1;
        CHECK_PKT(&r.p[i], .ts = want[i][0] * FS_NS_PER_S, .source = (uint16_t)want[i][1],
                  .linktype = raw ? DLT_RAW : DLT_EN10MB, .src = A4, .dst = B4, .proto = 17,
                  .sport = (uint16_t)want[i][2], .dport = 9, .ip_len = 28,
                  .wire_len = raw ? 28u : 42u, .caplen = raw ? 28u : 42u,
                  .l3_end = raw ? 20 : 34, .ports_end = raw ? 24 : 38);
    }
    CHECK_STATUS(&r.info[0], [FS_DEC_OK] = 4);
    CHECK_STATUS(&r.info[1], [FS_DEC_OK] = 4, [FS_DEC_BAD_VERSION] = 1);
    CHECK_STATUS(&r.info[2], [FS_DEC_OK] = 0);
    CHECK_EQ_U(r.info[1].frames, 5);
    CHECK_EQ_U(r.info[2].frames, 0);
    CHECK_EQ_I(r.info[2].sha256_done, 1);
    /* SHA-256 of nothing but the 24-byte global header is still a real digest. */
    char want_sha[65];
    sha256_file(pc, want_sha);
    CHECK_STR(r.info[2].sha256, want_sha);
    CHECK_EQ_I(r.info[0].first_ts, 1 * FS_NS_PER_S);
    CHECK_EQ_I(r.info[0].last_ts, 5 * FS_NS_PER_S);
    CHECK_EQ_I(r.info[1].first_ts, 2 * FS_NS_PER_S);
    CHECK_EQ_I(r.info[1].last_ts, 6 * FS_NS_PER_S);

    fs_reader *rr = NULL;
    char err[256];
    CHECK(fs_reader_open(&rr, paths, 3, err, sizeof err) == 0);
    if (rr) {
        CHECK(fs_reader_file(rr, 3) == NULL);
        CHECK(fs_reader_file(rr, -1) == NULL);
        CHECK_STR(fs_reader_file(rr, 1)->path, pb);
        fs_reader_close(rr);
    }
    pcapw_rmdir(dir);
}

TEST(decode_sha256)
{
    char dir[64], path[128];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    path_in(path, sizeof path, dir, "big.pcap");
    pcapw *w = pcapw_open(path, DLT_EN10MB, 1);
    if (!w) { CHECK(w != NULL); return; }
    /* ~0.8 MB: many 64 KiB reads through the hashing stream. */
    enum { NPK = 3000 };
    for (int i = 0; i < NPK; i++) {
        pcapw_pkt s = pcapw_tcp(A4, (uint16_t)(1024 + i), B4, 80, FS_TCP_ACK);
        s.payload_len = (uint16_t)(i % 400);
        CHECK(pcapw_put(w, T0 + (int64_t)i * 1000, &s) == 0);
    }
    CHECK(pcapw_close(w) == 0);
    char want[65];
    sha256_file(path, want);
    CHECK_EQ_U(strlen(want), 64);

    const char *paths[1] = { path };
    fs_reader *r = NULL;
    char err[256];
    CHECK(fs_reader_open(&r, paths, 1, err, sizeof err) == 0);
    if (!r)
        return;
    fs_pkt p;
    CHECK_EQ_I(fs_reader_next(r, &p, err, sizeof err), 1);
    CHECK_EQ_I(fs_reader_file(r, 0)->sha256_done, 0);   /* not at the end yet */
    int n = 1, rc;
    uint64_t bytes = p.ip_len;
    while ((rc = fs_reader_next(r, &p, err, sizeof err)) == 1) {
        n++;
        bytes += p.ip_len;
    }
    CHECK_EQ_I(rc, 0);
    CHECK_EQ_I(n, NPK);
    /* 40 header bytes each plus payloads 0..399 repeated: sum over i of i % 400. */
    uint64_t want_bytes = 0;
    for (int i = 0; i < NPK; i++)
        want_bytes += 40 + (uint64_t)(i % 400);
    CHECK_EQ_U(bytes, want_bytes);
    const fs_file_info *fi = fs_reader_file(r, 0);
    CHECK_EQ_I(fi->sha256_done, 1);
    CHECK_STR(fi->sha256, want);
    CHECK_EQ_U(fi->size_bytes, file_size(path));
    CHECK(fi->size_bytes > 10 * 65536);
    /* Calling again after the end stays at the end. */
    CHECK_EQ_I(fs_reader_next(r, &p, err, sizeof err), 0);
    fs_reader_close(r);
    pcapw_rmdir(dir);
}

/* ---- fs_decode directly ------------------------------------------------------------ */

TEST(decode_pure)
{
    uint8_t f[128];
    fs_pkt p;
    /* Stale contents everywhere: fs_decode must set every field it owns and
     * leave ts and source alone. */
    memset(&p, 0xaa, sizeof p);
    p.ts = 123;
    p.source = 7;
    pcapw_pkt s = pcapw_udp(A4, 1, B4, 2);
    size_t n = pcapw_build(f, sizeof f, DLT_EN10MB, &s);
    CHECK_EQ_I(fs_decode(DLT_EN10MB, f, (uint32_t)n, 1500, &p), FS_DEC_OK);
    CHECK_PKT(&p, .ts = 123, .source = 7, .linktype = 1, .src = A4, .dst = B4, .proto = 17,
              .sport = 1, .dport = 2, .ip_len = 28, .wire_len = 1500, .caplen = 42,
              .l3_end = 34, .ports_end = 38);
    CHECK(p.data == f);

    /* Ethernet padding after a short datagram is not read as ports: the IP
     * header says 22 bytes (2 of the 4 port bytes), the frame is 60. */
    memset(f, 0, sizeof f);
    s.ip_len_set = 1;
    s.ip_len = 22;
    pcapw_build(f, sizeof f, DLT_EN10MB, &s);
    CHECK_EQ_I(fs_decode(DLT_EN10MB, f, 60, 60, &p), FS_DEC_TRUNC_L4);
    CHECK_PKT(&p, .ts = 123, .source = 7, .linktype = 1, .src = A4, .dst = B4, .proto = 17,
              .ip_len = 22, .wire_len = 60, .caplen = 60, .l3_end = 34, .ports_end = 38);

    /* The on-disk LINKTYPE_RAW value is accepted as well as DLT_RAW. */
    s = pcapw_tcp(A6, 5, B6, 6, FS_TCP_SYN);
    n = pcapw_build(f, sizeof f, DLT_RAW, &s);
    CHECK_EQ_I(fs_decode(101, f, (uint32_t)n, (uint32_t)n, &p), FS_DEC_OK);
    CHECK_EQ_U(p.key.sport, 5);
    CHECK_EQ_I(p.linktype, 101);

    /* Unsupported link types and empty frames. */
    CHECK_EQ_I(fs_decode(DLT_USER0, f, (uint32_t)n, (uint32_t)n, &p), FS_DEC_UNSUP_LINK);
    CHECK_EQ_I(fs_decode(DLT_EN10MB, f, 0, 0, &p), FS_DEC_TRUNC_LINK);
    CHECK_EQ_I(fs_decode(DLT_RAW, f, 0, 0, &p), FS_DEC_TRUNC_IP);
    CHECK_EQ_I(fs_decode(DLT_NULL, f, 3, 3, &p), FS_DEC_TRUNC_LINK);
    CHECK_EQ_I(fs_decode(DLT_LINUX_SLL2, f, 19, 19, &p), FS_DEC_TRUNC_LINK);

    /* A 70000-byte frame of nothing but VLAN tags ends as truncated_link,
     * reading nothing past the buffer (ASan checks that). */
    enum { BIG = 70000 };
    uint8_t *big = malloc(BIG);
    CHECK(big != NULL);
    if (big) {
        for (size_t i = 0; i + 1 < BIG; i += 2) {
            big[i] = 0x81;
            big[i + 1] = 0x00;
        }
        CHECK_EQ_I(fs_decode(DLT_EN10MB, big, BIG, BIG, &p), FS_DEC_TRUNC_LINK);
        CHECK_EQ_U(p.key.vlan, 0x100);    /* TCI 0x8100 & 0x0fff */
        free(big);
    }
}

static uint64_t xorshift64(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Mutation fuzzing: valid frames of every link type with random bytes
 * changed and random capture lengths. Checks the invariants a meter relies
 * on; under ASan it also checks that nothing is read out of bounds (each
 * frame is copied into a buffer of exactly caplen bytes). */
TEST(decode_fuzz)
{
    static const int dlts[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW,
                                DLT_IPV4, DLT_IPV6, DLT_NULL, DLT_LOOP };
    uint64_t x = 0x9e3779b97f4a7c15u;   /* xorshift64 state, fixed for repeatability */
#define RND() xorshift64(&x)
    uint8_t f[512];
    int bad = 0, made = 0;
    for (int it = 0; it < 200000; it++) {
        int dlt = dlts[RND() % (sizeof dlts / sizeof dlts[0])];
        pcapw_pkt s = RND() % 2 ? pcapw_tcp(A4, 1, B4, 2, FS_TCP_SYN) : pcapw_tcp(A6, 1, B6, 2, 0);
        static const uint8_t protos[] = { 6, 17, 132, 136, 1, 58, 50, 47 };
        s.proto = protos[RND() % sizeof protos];
        if (s.ipv == 6) {
            s.n_ext = (int)(RND() % 4);
            static const uint8_t exts[] = { 0, 43, 60, 44, 51 };
            for (int i = 0; i < s.n_ext; i++) {
                s.ext[i] = exts[RND() % sizeof exts];
                s.ext_units[i] = (uint8_t)(RND() % 3);
            }
        } else {
            s.ip_opt_len = (uint8_t)(4 * (RND() % 11));
        }
        s.frag_off = RND() % 4 == 0 ? (uint16_t)(RND() % 8) : 0;
        s.mf = RND() % 4 == 0;
        s.n_vlan = (int)(RND() % 3);
        s.payload_len = (uint16_t)(RND() % 64);
        size_t n = pcapw_build(f, sizeof f, dlt, &s);
        if (!n)
            continue;
        int flips = (int)(RND() % 4);
        for (int i = 0; i < flips; i++) {
            size_t at = RND() % n;
            f[at] = (uint8_t)RND();
        }
        uint32_t cap = (uint32_t)(RND() % (n + 1));
        uint8_t *exact = malloc(cap ? cap : 1);
        if (!exact)
            break;
        memcpy(exact, f, cap);
        fs_pkt p;
        memset(&p, 0x55, sizeof p);
        int st = fs_decode(dlt, exact, cap, (uint32_t)n, &p);
        free(exact);
        if (st < 0 || st >= FS_DEC__COUNT || st == FS_DEC_TS_BACKWARDS || st == FS_DEC_UNSUP_LINK) {
            bad++;
            continue;
        }
        if (fs_decode_is_drop(st))
            continue;
        made++;
        int v6 = p.key.flags & FS_KEY_V6;
        static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
        if (p.key.pad0 || p.key.pad1 || (p.key.flags & ~FS_KEY_V6) || p.l3_end > cap ||
            p.caplen != cap || p.wire_len != n ||
            (!v6 && (memcmp(p.key.src, mapped, 12) || memcmp(p.key.dst, mapped, 12))) ||
            (!v6 && p.ip_len > UINT16_MAX) || (v6 && p.ip_len < 40) ||
            (st == FS_DEC_OK && (p.ports_end > cap || p.flags_end > cap)) ||
            (st == FS_DEC_FRAGMENT && (p.frag != FS_FRAG_LATER || p.key.sport || p.key.dport ||
                                       p.ports_end || p.flags_end)) ||
            (st != FS_DEC_FRAGMENT && p.frag == FS_FRAG_LATER) ||
            (p.flags_end && p.key.proto != 6) || (p.tcp_flags && p.flags_end > cap) ||
            p.frag > FS_FRAG_LATER || (v6 && p.ip_id)) {
            if (bad++ < 5)
                fprintf(stderr, "    fuzz it %d: dlt %d status %d cap %u violates an invariant\n",
                        it, dlt, st, cap);
        }
    }
#undef RND
    CHECK_EQ_I(bad, 0);
    CHECK(made > 50000);   /* the mutations leave most frames decodable */
}

TEST(decode_linktype_name)
{
    CHECK_STR(fs_linktype_name(DLT_EN10MB), "EN10MB");
    CHECK_STR(fs_linktype_name(DLT_LINUX_SLL), "LINUX_SLL");
    CHECK_STR(fs_linktype_name(DLT_LINUX_SLL2), "LINUX_SLL2");
    CHECK_STR(fs_linktype_name(DLT_NULL), "NULL");
    CHECK_STR(fs_linktype_name(DLT_USER0), "USER0");
    CHECK_STR(fs_linktype_name(DLT_USER15), "USER15");
    CHECK_STR(fs_linktype_name(DLT_RAW), "RAW");
    CHECK_STR(fs_linktype_name(DLT_LOOP), "LOOP");
    CHECK_STR(fs_linktype_name(100000), "DLT_100000");
}

/* ---- bad inputs ---------------------------------------------------------------------- */

/* Opens path and reads to the end; returns the first -1's message, or "" if
 * everything succeeded. *npk gets the packets returned before the error. */
static const char *fail_msg(const char *path, int *npk, int *at_open)
{
    static char err[512];
    err[0] = '\0';
    *npk = 0;
    *at_open = 0;
    fs_reader *r = NULL;
    if (fs_reader_open(&r, &path, 1, err, sizeof err) != 0) {
        *at_open = 1;
        CHECK(r == NULL);
        return err;
    }
    fs_pkt p;
    int rc;
    while ((rc = fs_reader_next(r, &p, err, sizeof err)) == 1)
        (*npk)++;
    if (rc == 0)
        err[0] = '\0';
    fs_reader_close(r);
    return err;
}

/* The message names the file first, mentions the problem, and is one line. */
static int msg_is(const char *msg, const char *path, const char *problem)
{
    size_t pl = strlen(path);
    int ok = strncmp(msg, path, pl) == 0 && msg[pl] == ':' && strstr(msg, problem) != NULL &&
             strchr(msg, '\n') == NULL;
    if (!ok)
        fprintf(stderr, "    message \"%s\" does not start with \"%s:\" and contain \"%s\"\n", msg,
                path, problem);
    return ok;
}

TEST(decode_err_empty)
{
    char dir[64], path[128];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    path_in(path, sizeof path, dir, "empty.pcap");
    CHECK(pcapw_write_file(path, "", 0) == 0);
    int n, at_open;
    const char *m = fail_msg(path, &n, &at_open);
    CHECK(at_open);
    CHECK(msg_is(m, path, ": empty file"));
    pcapw_rmdir(dir);
}

TEST(decode_err_short_header)
{
    char dir[64], path[128];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    path_in(path, sizeof path, dir, "short.pcap");
    const uint8_t hdr[7] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4 };  /* pcap LE magic, then cut */
    CHECK(pcapw_write_file(path, hdr, sizeof hdr) == 0);
    int n, at_open;
    const char *m = fail_msg(path, &n, &at_open);
    CHECK(at_open);
    CHECK(msg_is(m, path, "truncated global header (7 of 24 bytes)"));

    CHECK(pcapw_write_file(path, hdr, 3) == 0);
    m = fail_msg(path, &n, &at_open);
    CHECK(msg_is(m, path, "truncated global header (3 of 24 bytes)"));

    const uint8_t ng[20] = { 0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a };
    CHECK(pcapw_write_file(path, ng, sizeof ng) == 0);
    m = fail_msg(path, &n, &at_open);
    CHECK(at_open);
    CHECK(msg_is(m, path, "truncated pcapng section header block (20 of 28 bytes)"));
    pcapw_rmdir(dir);
}

TEST(decode_err_truncated_record)
{
    char dir[64], path[128];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    path_in(path, sizeof path, dir, "cut.pcap");
    pcapw *w = pcapw_open(path, DLT_EN10MB, 0);
    if (!w) { CHECK(w != NULL); return; }
    pcapw_pkt s = pcapw_udp(A4, 1, B4, 2);
    CHECK(pcapw_put(w, T0, &s) == 0);
    CHECK(pcapw_put(w, T0 + 1000, &s) == 0);
    CHECK(pcapw_close(w) == 0);
    /* Append a record header claiming 100 captured bytes, then only 10. */
    FILE *f = fopen(path, "ab");
    CHECK(f != NULL);
    if (!f)
        return;
    uint8_t rec[16 + 10] = { 0 };
    rec[8] = 100;    /* incl_len, little-endian */
    rec[12] = 100;   /* orig_len */
    CHECK(fwrite(rec, 1, sizeof rec, f) == sizeof rec);
    fclose(f);

    fs_reader *r = NULL;
    char err[512];
    const char *paths[1] = { path };
    CHECK(fs_reader_open(&r, paths, 1, err, sizeof err) == 0);
    if (!r)
        return;
    fs_pkt p;
    CHECK_EQ_I(fs_reader_next(r, &p, err, sizeof err), 1);
    CHECK_EQ_I(fs_reader_next(r, &p, err, sizeof err), 1);
    CHECK_EQ_I(p.ts, T0 + 1000);
    CHECK_EQ_I(fs_reader_next(r, &p, err, sizeof err), -1);
    CHECK(msg_is(err, path, "truncated record at frame 3"));
    CHECK_EQ_U(fs_reader_file(r, 0)->frames, 2);
    CHECK_EQ_I(fs_reader_file(r, 0)->sha256_done, 0);
    /* The failed file left the merge: the next call reports the end. */
    CHECK_EQ_I(fs_reader_next(r, &p, err, sizeof err), 0);
    fs_reader_close(r);

    /* A record header that is itself cut (8 of 16 bytes). */
    w = pcapw_open(path, DLT_EN10MB, 0);
    if (!w) { CHECK(w != NULL); return; }
    CHECK(pcapw_put(w, T0, &s) == 0);
    CHECK(pcapw_close(w) == 0);
    f = fopen(path, "ab");
    if (!f) { CHECK(f != NULL); return; }
    CHECK(fwrite(rec, 1, 8, f) == 8);
    fclose(f);
    int n, at_open;
    const char *m = fail_msg(path, &n, &at_open);
    CHECK(!at_open);
    CHECK_EQ_I(n, 1);
    CHECK(msg_is(m, path, "truncated record at frame 2"));
    pcapw_rmdir(dir);
}

TEST(decode_err_garbage)
{
    char dir[64], path[128];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    path_in(path, sizeof path, dir, "garbage.pcap");
    const char *http = "GET / HTTP/1.1\r\nHost: example.org\r\n\r\n";
    CHECK(pcapw_write_file(path, http, strlen(http)) == 0);
    int n, at_open;
    const char *m = fail_msg(path, &n, &at_open);
    CHECK(at_open);
    CHECK(msg_is(m, path, "not a pcap or pcapng file (bad magic 0x47455420)"));

    const uint8_t gz[32] = { 0x1f, 0x8b, 0x08, 0x00 };
    CHECK(pcapw_write_file(path, gz, sizeof gz) == 0);
    m = fail_msg(path, &n, &at_open);
    CHECK(msg_is(m, path, "bad magic 0x1f8b0800) (gzip-compressed"));

    /* Right magic, nonsense version: libpcap's own words, after the path. */
    const uint8_t badver[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 9, 0, 4, 0, [16] = 0xff, 0xff, 0, 0, 1 };
    CHECK(pcapw_write_file(path, badver, sizeof badver) == 0);
    m = fail_msg(path, &n, &at_open);
    CHECK(at_open);
    CHECK(msg_is(m, path, "version"));
    pcapw_rmdir(dir);
}

TEST(decode_err_pcapng_block_len)
{
    char dir[64], path[128];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    path_in(path, sizeof path, dir, "absurd.pcapng");
    uint8_t f1[128];
    pcapw_pkt s = pcapw_udp(A4, 1, B4, 2);
    size_t n1 = pcapw_build(f1, sizeof f1, DLT_EN10MB, &s);
    static ngbuf g;
    g.n = 0;
    ng_shb(&g);
    ng_idb(&g, 1, 65535, 9);
    ng_epb(&g, (uint64_t)T0, f1, (uint32_t)n1, (uint32_t)n1);
    ng_u32(&g, 6);              /* an EPB claiming ~4 GB */
    ng_u32(&g, 0xfffffff0);
    ng_u32(&g, 0);
    CHECK(pcapw_write_file(path, g.b, g.n) == 0);
    int n, at_open;
    const char *m = fail_msg(path, &n, &at_open);
    CHECK(!at_open);
    CHECK_EQ_I(n, 1);
    CHECK(msg_is(m, path, "at frame 2"));
    CHECK(msg_is(m, path, "block size 4294967280"));
    pcapw_rmdir(dir);
}

TEST(decode_err_unsupported_link)
{
    char dir[64], path[128];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    path_in(path, sizeof path, dir, "user0.pcap");
    pcapw *w = pcapw_open(path, DLT_USER0, 1);
    if (!w) { CHECK(w != NULL); return; }
    const uint8_t frame[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    pcapw_add(w, T0, frame, sizeof frame, sizeof frame);
    CHECK(pcapw_close(w) == 0);
    int n, at_open;
    const char *m = fail_msg(path, &n, &at_open);
    CHECK(at_open);
    CHECK(msg_is(m, path, "unsupported link type 147 (USER0)"));
    pcapw_rmdir(dir);
}

TEST(decode_err_nonexistent)
{
    const char *path = "/nonexistent-flowsim-dir/no.pcap";
    int n, at_open;
    const char *m = fail_msg(path, &n, &at_open);
    CHECK(at_open);
    CHECK(msg_is(m, path, "cannot open: No such file or directory"));

    char dir[64];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    m = fail_msg(dir, &n, &at_open);
    CHECK(at_open);
    CHECK(msg_is(m, dir, "is a directory"));
    pcapw_rmdir(dir);
}

/* The second of two files is bad: open fails and names that file. */
TEST(decode_err_second_file)
{
    char dir[64], good[128], bad[128];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    path_in(good, sizeof good, dir, "good.pcap");
    path_in(bad, sizeof bad, dir, "bad.pcap");
    pcapw *w = pcapw_open(good, DLT_EN10MB, 1);
    if (!w) { CHECK(w != NULL); return; }
    CHECK(pcapw_close(w) == 0);
    CHECK(pcapw_write_file(bad, "\x01\x02\x03\x04\x05", 5) == 0);
    const char *paths[2] = { good, bad };
    fs_reader *r = NULL;
    char err[512];
    CHECK_EQ_I(fs_reader_open(&r, paths, 2, err, sizeof err), -1);
    CHECK(r == NULL);
    CHECK(msg_is(err, bad, "bad magic 0x01020304"));
    CHECK_EQ_I(fs_reader_open(&r, paths, 0, err, sizeof err), -1);
    CHECK(strstr(err, "no trace files") != NULL);
    pcapw_rmdir(dir);
}

/* ---- the shipped real captures ------------------------------------------------------- */

/* Packet key as the README's uni-flow counter saw it: addresses, protocol,
 * ports, with ports 0 for protocols other than TCP, UDP and SCTP. */
typedef struct uni5 {
    uint8_t  src[16], dst[16];
    uint16_t sport, dport;
    uint8_t  proto;
} uni5;

static int uni5_cmp(const void *a, const void *b)
{
    return memcmp(a, b, sizeof(uni5));
}

TEST(decode_real_traces)
{
    /* Frames, IPv4 / IPv6 / non-IP packets, uni-flows and sha256 are from
     * traces/real/README.md (capinfos/tshark 4.0.17 and a libpcap counter);
     * the README's non-IP column counts every frame that is not IPv4/IPv6,
     * which for gnutella includes frame 1, captured with only 4 bytes
     * (truncated_link here). first/last are the timestamps of the first and
     * last IPv4/IPv6 frame, measured with
     * `tshark -r F -Y 'ip or ipv6' -T fields -e frame.time_epoch`; ts_back
     * is the number of frames earlier than the latest one before them, from
     * the same tshark output over all frames (only tls2 has any). */
    static const struct {
        const char *name;
        uint64_t    frames, v4, v6, non_ip, trunc_link, uni_flows, ts_back;
        int64_t     first_ts, last_ts;
        int         pcapng;
        const char *sha256;
    } t[5] = {
        { "ndpi_bittorrent_transmission.pcapng", 7723, 7723, 0, 0, 0, 1421, 0,
          INT64_C(1631961258895162012), INT64_C(1631961407156597203), 1,
          "b3598bc38391cffa42d83fc4035e9f7355989c68b120cc282359a7daf99f959e" },
        { "ndpi_gnutella_full.pcap", 7491, 7400, 68, 23, 1, 937, 0,
          INT64_C(9752391000), INT64_C(599747316000), 0,
          "ffcb08090dcb04612a797d349eeced38788a7e2250a37c42a05fbbe22325391c" },
        { "ndpi_synscan.pcap", 2011, 2011, 0, 0, 0, 2002, 0,
          INT64_C(1278275056274870000), INT64_C(1278275079360213000), 0,
          "dec17c51b1b9d464831edb6e1f0a5bbcbeabdc519bfb4a5a402803384adb257c" },
        { "pcapplusplus_tls2.pcap", 7451, 3011, 4440, 0, 0, 665, 4,
          INT64_C(1609829736669007000), INT64_C(1609829882471134000), 0,
          "a373cd02f71f719bfa3c0163c671eed806e4dd7e9b3c54231d9938b26980d6ca" },
        { "iot23_honeypot4-1_philips_hue.pcap", 21664, 16921, 0, 4743, 0, 874, 0,
          INT64_C(1540469197400159000), INT64_C(1540548038806853000), 0,
          "3fb775c0391b6ad313a3f7845e634a277b07c3f6377346c2486ba63e1c22e90c" },
    };
    enum { MAXK = 30000 };   /* more than the largest file's packet count */
    uni5 *keys = malloc(MAXK * sizeof *keys);
    CHECK(keys != NULL);
    if (!keys)
        return;
    for (int i = 0; i < 5; i++) {
        char path[256];
        snprintf(path, sizeof path, "../traces/real/%s", t[i].name);
        const char *paths[1] = { path };
        fs_reader *r = NULL;
        char err[512];
        if (fs_reader_open(&r, paths, 1, err, sizeof err) != 0) {
            fprintf(stderr, "    %s\n", err);
            CHECK(r != NULL);
            continue;
        }
        uint64_t v4 = 0, v6 = 0;
        size_t nk = 0;
        fs_pkt p;
        int rc;
        while ((rc = fs_reader_next(r, &p, err, sizeof err)) == 1) {
            if (p.key.flags & FS_KEY_V6)
                v6++;
            else
                v4++;
            if (nk < MAXK) {
                uni5 *k = &keys[nk++];
                memset(k, 0, sizeof *k);
                memcpy(k->src, p.key.src, 16);
                memcpy(k->dst, p.key.dst, 16);
                k->proto = p.key.proto;
                if (p.key.proto == 6 || p.key.proto == 17 || p.key.proto == 132) {
                    k->sport = p.key.sport;
                    k->dport = p.key.dport;
                }
            }
        }
        CHECK_EQ_I(rc, 0);
        if (rc < 0)
            fprintf(stderr, "    %s\n", err);
        qsort(keys, nk, sizeof *keys, uni5_cmp);
        uint64_t flows = nk ? 1 : 0;
        for (size_t k = 1; k < nk; k++)
            flows += uni5_cmp(&keys[k - 1], &keys[k]) != 0;

        const fs_file_info *fi = fs_reader_file(r, 0);
        if (getenv("TF_VERBOSE")) {
            fprintf(stderr, "    %s: frames %llu ipv4 %llu ipv6 %llu uni-flows %llu first %lld last %lld\n     ",
                    t[i].name, (unsigned long long)fi->frames, (unsigned long long)v4,
                    (unsigned long long)v6, (unsigned long long)flows,
                    (long long)fi->first_ts, (long long)fi->last_ts);
            for (int s = 0; s < FS_DEC__COUNT; s++)
                if (fi->status[s])
                    fprintf(stderr, " %s %llu", fs_decode_status_name[s],
                            (unsigned long long)fi->status[s]);
            fprintf(stderr, "\n");
        }
        CHECK_EQ_U(fi->frames, t[i].frames);
        CHECK_EQ_U(v4, t[i].v4);
        CHECK_EQ_U(v6, t[i].v6);
        CHECK_EQ_U(fi->frames - v4 - v6, t[i].non_ip);
        CHECK_EQ_U(fi->status[FS_DEC_NOT_IP], t[i].non_ip - t[i].trunc_link);
        CHECK_EQ_U(fi->status[FS_DEC_TRUNC_LINK], t[i].trunc_link);
        CHECK_EQ_U(fi->status[FS_DEC_OK] + fi->status[FS_DEC_TRUNC_L4] +
                   fi->status[FS_DEC_FRAGMENT], v4 + v6);
        CHECK_EQ_U(fi->status[FS_DEC_TS_BACKWARDS], t[i].ts_back);
        CHECK_EQ_U(flows, t[i].uni_flows);
        CHECK_EQ_I(fi->is_pcapng, t[i].pcapng);
        CHECK_EQ_I(fi->linktype, DLT_EN10MB);
        CHECK_EQ_I(fi->first_ts, t[i].first_ts);
        CHECK_EQ_I(fi->last_ts, t[i].last_ts);
        CHECK_EQ_U(fi->size_bytes, file_size(path));
        CHECK_EQ_I(fi->sha256_done, 1);
        CHECK_STR(fi->sha256, t[i].sha256);
        fs_reader_close(r);
    }
    free(keys);
}
