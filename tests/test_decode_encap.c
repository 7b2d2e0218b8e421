/* flowsim — known-answer tests of the encapsulations the decoder opens
 * (MPLS, PPPoE, 802.1ah PBB, alone, chained and behind VLAN tags), of IP
 * length fields of 0 (IPv6 jumbograms, TSO / BIG TCP captures), of their
 * counts by reason, and of the run's warning about frames not metered.
 * Frames are built by pcapw; every expected offset and length is worked
 * out by hand from the header layouts in the comments.
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "reader.h"
#include "unmetered.h"
#include "harness.h"
#include "pcapw.h"
#include "tf.h"

void test_decode_encap_mpls(void);
void test_decode_encap_pppoe(void);
void test_decode_encap_pbb(void);
void test_decode_ppp_links(void);
void test_decode_ip_len_zero(void);
void test_decode_encap_counts(void);
void test_decode_unmetered_warning(void);

#define T0 (INT64_C(1700000000) * FS_NS_PER_S)
#define A4 "192.0.2.1"
#define B4 "198.51.100.2"
#define A6 "2001:db8::1"
#define B6 "2001:db8:0:1::2"

/* Header sizes used in the expected offsets. */
#define ETH 14
#define SLL 16
#define SLL2 20
#define TAG 4
#define LSE 4     /* MPLS label stack entry */
#define PPPOE 8   /* PPPoE header + PPP protocol */
#define PBB 18    /* I-TAG + inner MACs + ethertype */
#define PWETH 18  /* control word + inner MACs + ethertype */
#define IP4 20
#define IP6 40
#define UDP 8
#define TCP 20

/* What one frame should decode to. */
typedef struct want {
    int status;
    const char *src, *dst;
    uint8_t proto;
    uint16_t sport, dport, vlan;
    uint32_t ip_len;
    uint16_t l3_end, ports_end;
} want;

static int got_is(int st, const fs_pkt *p, const want *w)
{
    int ok = 1;
#define F(g, e) do { if ((long long)(g) != (long long)(e)) { ok = 0; \
        fprintf(stderr, "    %s: got %lld, want %lld\n", #g, (long long)(g), (long long)(e)); } } while (0)
    F(st, w->status);
    if (w->status != FS_DEC_OK && w->status != FS_DEC_TRUNC_L4)
        return ok;
    uint8_t s[16] = {0}, d[16] = {0};
    int v6 = inet_pton(AF_INET, w->src, s + 12) != 1;
    if (v6) {
        inet_pton(AF_INET6, w->src, s);
        inet_pton(AF_INET6, w->dst, d);
    } else {
        inet_pton(AF_INET, w->dst, d + 12);
        s[10] = s[11] = d[10] = d[11] = 0xff;
    }
    if (memcmp(p->key.src, s, 16) || memcmp(p->key.dst, d, 16)) {
        fprintf(stderr, "    addresses differ from %s -> %s\n", w->src, w->dst);
        ok = 0;
    }
    F(p->key.flags, v6 ? FS_KEY_V6 : 0);
    F(p->key.proto, w->proto);
    F(p->key.sport, w->sport);
    F(p->key.dport, w->dport);
    F(p->key.vlan, w->vlan);
    F(p->ip_len, w->ip_len);
    F(p->l3_end, w->l3_end);
    F(p->ports_end, w->ports_end);
#undef F
    return ok;
}

/* Decodes caplen bytes of f (wire length len) as dlt and compares. */
static int dec_is(int dlt, const uint8_t *f, uint32_t caplen, uint32_t len, const want *w)
{
    fs_pkt p;
    int st = fs_decode(dlt, f, caplen, len, &p);
    return got_is(st, &p, w);
}
#define CHECK_DEC(dlt, f, caplen, len, ...) \
    CHECK(dec_is((dlt), (f), (caplen), (len), &(want){ __VA_ARGS__ }))

/* Builds s for dlt into f and checks the whole frame decodes as wanted. */
static int build_is(int dlt, const pcapw_pkt *s, size_t want_len, const want *w)
{
    static uint8_t f[PCAPW_MAX_FRAME];
    size_t n = pcapw_build(f, sizeof f, dlt, s);
    if (n != want_len) {
        fprintf(stderr, "    frame length: got %zu, want %zu\n", n, want_len);
        return 0;
    }
    return dec_is(dlt, f, (uint32_t)n, (uint32_t)n, w);
}
#define CHECK_BUILD(dlt, s, n, ...) CHECK(build_is((dlt), (s), (n), &(want){ __VA_ARGS__ }))

/* ---- MPLS ------------------------------------------------------------------- */

TEST(decode_encap_mpls)
{
    /* One label, IPv4 UDP: 14 + 4 + 20 + 8 = 46 bytes. */
    pcapw_pkt s = pcapw_udp(A4, 1, B4, 2);
    s.n_encap = 1;
    s.encap[0] = PCAPW_MPLS;
    CHECK_BUILD(DLT_EN10MB, &s, 46, .status = FS_DEC_OK, .src = A4, .dst = B4, .proto = 17,
                .sport = 1, .dport = 2, .ip_len = 28, .l3_end = ETH + LSE + IP4,
                .ports_end = ETH + LSE + IP4 + 4);

    /* Three labels (only the last has S set), IPv6 TCP. */
    s = pcapw_tcp(A6, 3, B6, 4, FS_TCP_SYN);
    s.n_encap = 1;
    s.encap[0] = PCAPW_MPLS;
    s.mpls_labels = 3;
    CHECK_BUILD(DLT_EN10MB, &s, ETH + 3 * LSE + IP6 + TCP, .status = FS_DEC_OK, .src = A6,
                .dst = B6, .proto = 6, .sport = 3, .dport = 4, .ip_len = IP6 + TCP,
                .l3_end = ETH + 3 * LSE + IP6, .ports_end = ETH + 3 * LSE + IP6 + 4);

    /* Behind a VLAN tag: the key keeps VLAN 100. */
    s = pcapw_udp(A4, 5, B4, 6);
    s.n_vlan = 1;
    s.vlan[0] = 100;
    s.n_encap = 1;
    s.encap[0] = PCAPW_MPLS;
    s.mpls_labels = 2;
    CHECK_BUILD(DLT_EN10MB, &s, ETH + TAG + 2 * LSE + IP4 + UDP, .status = FS_DEC_OK, .src = A4,
                .dst = B4, .proto = 17, .sport = 5, .dport = 6, .vlan = 100, .ip_len = 28,
                .l3_end = ETH + TAG + 2 * LSE + IP4, .ports_end = ETH + TAG + 2 * LSE + IP4 + 4);

    /* Ethernet pseudowire: label, control word 0, inner Ethernet, IPv4. */
    s = pcapw_udp(A4, 7, B4, 8);
    s.n_encap = 2;
    s.encap[0] = PCAPW_MPLS;
    s.encap[1] = PCAPW_PW_ETH;
    CHECK_BUILD(DLT_EN10MB, &s, ETH + LSE + PWETH + IP4 + UDP, .status = FS_DEC_OK, .src = A4,
                .dst = B4, .proto = 17, .sport = 7, .dport = 8, .ip_len = 28,
                .l3_end = ETH + LSE + PWETH + IP4, .ports_end = ETH + LSE + PWETH + IP4 + 4);

    /* Linux cooked v1 and v2 share the ethertype dispatch. */
    s = pcapw_udp(A6, 9, B6, 10);
    s.n_encap = 1;
    s.encap[0] = PCAPW_MPLS;
    CHECK_BUILD(DLT_LINUX_SLL, &s, SLL + LSE + IP6 + UDP, .status = FS_DEC_OK, .src = A6,
                .dst = B6, .proto = 17, .sport = 9, .dport = 10, .ip_len = 48,
                .l3_end = SLL + LSE + IP6, .ports_end = SLL + LSE + IP6 + 4);
    s = pcapw_udp(A4, 11, B4, 12);
    s.n_encap = 1;
    s.encap[0] = PCAPW_MPLS;
    CHECK_BUILD(DLT_LINUX_SLL2, &s, SLL2 + LSE + IP4 + UDP, .status = FS_DEC_OK, .src = A4,
                .dst = B4, .proto = 17, .sport = 11, .dport = 12, .ip_len = 28,
                .l3_end = SLL2 + LSE + IP4, .ports_end = SLL2 + LSE + IP4 + 4);

    /* Multicast MPLS (0x8848), the same frame otherwise. */
    uint8_t f[256];
    s = pcapw_udp(A4, 1, B4, 2);
    s.n_encap = 1;
    s.encap[0] = PCAPW_MPLS;
    size_t n = pcapw_build(f, sizeof f, DLT_EN10MB, &s);
    CHECK_EQ_U(n, 46);
    f[12] = 0x88;
    f[13] = 0x48;
    CHECK_DEC(DLT_EN10MB, f, 46, 46, .status = FS_DEC_OK, .src = A4, .dst = B4, .proto = 17,
              .sport = 1, .dport = 2, .ip_len = 28, .l3_end = 38, .ports_end = 42);
    /* After the bottom label a first nibble other than 4, 6 or 0 is not IP. */
    f[ETH + LSE] = 0x55;
    CHECK_DEC(DLT_EN10MB, f, 46, 46, .status = FS_DEC_NOT_IP);
    /* Nibble 4 decides IPv4 even when the header is bad: then bad_ip_header. */
    f[ETH + LSE] = 0x44;
    CHECK_DEC(DLT_EN10MB, f, 46, 46, .status = FS_DEC_BAD_HEADER);

    /* The capture ends inside the stack, or right after it. */
    s.mpls_labels = 3;
    n = pcapw_build(f, sizeof f, DLT_EN10MB, &s);
    CHECK_EQ_U(n, 54);
    CHECK_DEC(DLT_EN10MB, f, ETH + 6, 54, .status = FS_DEC_TRUNC_LINK);
    CHECK_DEC(DLT_EN10MB, f, ETH + 3 * LSE, 54, .status = FS_DEC_TRUNC_LINK);
    /* A stack with no bottom-of-stack bit runs off the capture. */
    for (int i = 0; i < 3; i++)
        f[ETH + LSE * i + 2] &= 0xfe;
    CHECK_DEC(DLT_EN10MB, f, 54, 54, .status = FS_DEC_TRUNC_LINK);
}

/* ---- PPPoE ------------------------------------------------------------------ */

TEST(decode_encap_pppoe)
{
    pcapw_pkt s = pcapw_udp(A4, 1, B4, 2);
    s.n_encap = 1;
    s.encap[0] = PCAPW_PPPOE;
    CHECK_BUILD(DLT_EN10MB, &s, ETH + PPPOE + IP4 + UDP, .status = FS_DEC_OK, .src = A4,
                .dst = B4, .proto = 17, .sport = 1, .dport = 2, .ip_len = 28,
                .l3_end = ETH + PPPOE + IP4, .ports_end = ETH + PPPOE + IP4 + 4);

    s = pcapw_tcp(A6, 3, B6, 4, FS_TCP_ACK);   /* PPP protocol 0x0057 */
    s.payload_len = 100;
    s.n_encap = 1;
    s.encap[0] = PCAPW_PPPOE;
    CHECK_BUILD(DLT_EN10MB, &s, ETH + PPPOE + IP6 + TCP + 100, .status = FS_DEC_OK, .src = A6,
                .dst = B6, .proto = 6, .sport = 3, .dport = 4, .ip_len = IP6 + TCP + 100,
                .l3_end = ETH + PPPOE + IP6, .ports_end = ETH + PPPOE + IP6 + 4);

    /* QinQ then PPPoE (a BNG's access side): the outer VLAN, 200. */
    s = pcapw_udp(A4, 5, B4, 6);
    s.n_vlan = 2;
    s.vlan[0] = 200;
    s.vlan[1] = 300;
    s.n_encap = 1;
    s.encap[0] = PCAPW_PPPOE;
    CHECK_BUILD(DLT_EN10MB, &s, ETH + 2 * TAG + PPPOE + IP4 + UDP, .status = FS_DEC_OK,
                .src = A4, .dst = B4, .proto = 17, .sport = 5, .dport = 6, .vlan = 200,
                .ip_len = 28, .l3_end = ETH + 2 * TAG + PPPOE + IP4,
                .ports_end = ETH + 2 * TAG + PPPOE + IP4 + 4);

    s = pcapw_udp(A4, 7, B4, 8);
    s.n_encap = 1;
    s.encap[0] = PCAPW_PPPOE;
    CHECK_BUILD(DLT_LINUX_SLL, &s, SLL + PPPOE + IP4 + UDP, .status = FS_DEC_OK, .src = A4,
                .dst = B4, .proto = 17, .sport = 7, .dport = 8, .ip_len = 28,
                .l3_end = SLL + PPPOE + IP4, .ports_end = SLL + PPPOE + IP4 + 4);

    /* PPP control protocols (LCP 0xc021) are not IP. */
    s = pcapw_ip(A4, B4, 0);
    s.ipv = 0;
    s.payload_len = 10;
    s.n_encap = 1;
    s.encap[0] = PCAPW_PPPOE;
    s.ppp_proto = 0xc021;
    CHECK_BUILD(DLT_EN10MB, &s, ETH + PPPOE + 10, .status = FS_DEC_NOT_IP);
    /* Discovery stage (0x8863, PADI ...) is not IP. */
    s = pcapw_ip(A4, B4, 0);
    s.ipv = 0;
    s.ethertype = 0x8863;
    s.payload_len = 20;
    CHECK_BUILD(DLT_EN10MB, &s, ETH + 20, .status = FS_DEC_NOT_IP);
    /* PPP says IPv4, the packet is version 6. */
    s = pcapw_udp(A6, 1, B6, 2);
    s.n_encap = 1;
    s.encap[0] = PCAPW_PPPOE;
    s.ppp_proto = 0x0021;
    CHECK_BUILD(DLT_EN10MB, &s, ETH + PPPOE + IP6 + UDP, .status = FS_DEC_BAD_VERSION);

    /* A PPPoE header of another version/type or code is not a session frame. */
    uint8_t f[256];
    s = pcapw_udp(A4, 1, B4, 2);
    s.n_encap = 1;
    s.encap[0] = PCAPW_PPPOE;
    size_t n = pcapw_build(f, sizeof f, DLT_EN10MB, &s);
    CHECK_EQ_U(n, ETH + PPPOE + 28);
    CHECK_DEC(DLT_EN10MB, f, (uint32_t)n, (uint32_t)n, .status = FS_DEC_OK, .src = A4, .dst = B4,
              .proto = 17, .sport = 1, .dport = 2, .ip_len = 28, .l3_end = ETH + PPPOE + IP4,
              .ports_end = ETH + PPPOE + IP4 + 4);
    f[ETH] = 0x12;
    CHECK_DEC(DLT_EN10MB, f, (uint32_t)n, (uint32_t)n, .status = FS_DEC_NOT_IP);
    f[ETH] = 0x11;
    f[ETH + 1] = 0x09;  /* PADI's code */
    CHECK_DEC(DLT_EN10MB, f, (uint32_t)n, (uint32_t)n, .status = FS_DEC_NOT_IP);
    f[ETH + 1] = 0;
    /* The capture ends inside the PPPoE header or the PPP protocol. */
    CHECK_DEC(DLT_EN10MB, f, ETH + 5, (uint32_t)n, .status = FS_DEC_TRUNC_LINK);
    CHECK_DEC(DLT_EN10MB, f, ETH + PPPOE - 1, (uint32_t)n, .status = FS_DEC_TRUNC_LINK);
    CHECK_DEC(DLT_EN10MB, f, ETH + PPPOE, (uint32_t)n, .status = FS_DEC_TRUNC_IP);
}

/* ---- 802.1ah PBB --------------------------------------------------------------- */

TEST(decode_encap_pbb)
{
    /* B-VLAN (802.1ad) 10, I-TAG, customer frame with IPv4. */
    pcapw_pkt s = pcapw_udp(A4, 1, B4, 2);
    s.n_vlan = 1;
    s.vlan[0] = 10;
    s.vlan_tpid[0] = 0x88a8;
    s.n_encap = 1;
    s.encap[0] = PCAPW_PBB;
    CHECK_BUILD(DLT_EN10MB, &s, ETH + TAG + PBB + IP4 + UDP, .status = FS_DEC_OK, .src = A4,
                .dst = B4, .proto = 17, .sport = 1, .dport = 2, .vlan = 10, .ip_len = 28,
                .l3_end = ETH + TAG + PBB + IP4, .ports_end = ETH + TAG + PBB + IP4 + 4);

    s = pcapw_udp(A6, 3, B6, 4);
    s.n_encap = 1;
    s.encap[0] = PCAPW_PBB;
    CHECK_BUILD(DLT_EN10MB, &s, ETH + PBB + IP6 + UDP, .status = FS_DEC_OK, .src = A6, .dst = B6,
                .proto = 17, .sport = 3, .dport = 4, .ip_len = 48, .l3_end = ETH + PBB + IP6,
                .ports_end = ETH + PBB + IP6 + 4);

    /* Chains: PBB then PPPoE; PBB then MPLS. */
    s = pcapw_udp(A4, 5, B4, 6);
    s.n_encap = 2;
    s.encap[0] = PCAPW_PBB;
    s.encap[1] = PCAPW_PPPOE;
    CHECK_BUILD(DLT_EN10MB, &s, ETH + PBB + PPPOE + IP4 + UDP, .status = FS_DEC_OK, .src = A4,
                .dst = B4, .proto = 17, .sport = 5, .dport = 6, .ip_len = 28,
                .l3_end = ETH + PBB + PPPOE + IP4, .ports_end = ETH + PBB + PPPOE + IP4 + 4);
    s.encap[1] = PCAPW_MPLS;
    CHECK_BUILD(DLT_EN10MB, &s, ETH + PBB + LSE + IP4 + UDP, .status = FS_DEC_OK, .src = A4,
                .dst = B4, .proto = 17, .sport = 5, .dport = 6, .ip_len = 28,
                .l3_end = ETH + PBB + LSE + IP4, .ports_end = ETH + PBB + LSE + IP4 + 4);

    /* A customer VLAN tag (7) inside the PBB frame, none outside: the first
     * tag met is the key's. Insert it after the inner MACs (offset 14 + 4 +
     * 12 = 30), where the inner ethertype was. */
    uint8_t f[256], g[256];
    s = pcapw_udp(A4, 1, B4, 2);
    s.n_encap = 1;
    s.encap[0] = PCAPW_PBB;
    size_t n = pcapw_build(f, sizeof f, DLT_EN10MB, &s);
    CHECK_EQ_U(n, ETH + PBB + 28);
    const uint8_t tag[4] = { 0x81, 0x00, 0x00, 0x07 };
    memcpy(g, f, 30);
    memcpy(g + 30, tag, 4);
    memcpy(g + 34, f + 30, n - 30);
    CHECK_DEC(DLT_EN10MB, g, (uint32_t)n + 4, (uint32_t)n + 4, .status = FS_DEC_OK, .src = A4,
              .dst = B4, .proto = 17, .sport = 1, .dport = 2, .vlan = 7, .ip_len = 28,
              .l3_end = ETH + PBB + TAG + IP4, .ports_end = ETH + PBB + TAG + IP4 + 4);
    /* The capture ends inside the I-TAG or the customer header. */
    CHECK_DEC(DLT_EN10MB, f, ETH + 3, (uint32_t)n, .status = FS_DEC_TRUNC_LINK);
    CHECK_DEC(DLT_EN10MB, f, ETH + PBB - 1, (uint32_t)n, .status = FS_DEC_TRUNC_LINK);
}

/* ---- PPP link types ---------------------------------------------------------------- */

TEST(decode_ppp_links)
{
    /* DLT_PPP / PPP_SERIAL: [ff 03] protocol, then the payload. The IP
     * part is built as raw IP by pcapw and copied behind the PPP header. */
    uint8_t ip[256], f[300];
    pcapw_pkt s = pcapw_udp(A4, 1, B4, 2);
    size_t n = pcapw_build(ip, sizeof ip, DLT_RAW, &s);
    CHECK_EQ_U(n, 28);
    const uint8_t hdlc_v4[4] = { 0xff, 0x03, 0x00, 0x21 };
    memcpy(f, hdlc_v4, 4);
    memcpy(f + 4, ip, n);
    CHECK_DEC(DLT_PPP, f, 32, 32, .status = FS_DEC_OK, .src = A4, .dst = B4, .proto = 17,
              .sport = 1, .dport = 2, .ip_len = 28, .l3_end = 4 + IP4, .ports_end = 4 + IP4 + 4);
    CHECK_DEC(DLT_PPP_SERIAL, f, 32, 32, .status = FS_DEC_OK, .src = A4, .dst = B4,
              .proto = 17, .sport = 1, .dport = 2, .ip_len = 28, .l3_end = 4 + IP4,
              .ports_end = 4 + IP4 + 4);
    /* Without the address and control bytes. */
    CHECK_DEC(DLT_PPP, f + 2, 30, 30, .status = FS_DEC_OK, .src = A4, .dst = B4, .proto = 17,
              .sport = 1, .dport = 2, .ip_len = 28, .l3_end = 2 + IP4, .ports_end = 2 + IP4 + 4);
    /* MPLS over PPP (0x0281), one label with S set, then the same IPv4. */
    const uint8_t mpls[8] = { 0xff, 0x03, 0x02, 0x81, 0x00, 0x01, 0x01, 0x40 };
    memcpy(f, mpls, 8);
    memcpy(f + 8, ip, n);
    CHECK_DEC(DLT_PPP, f, 36, 36, .status = FS_DEC_OK, .src = A4, .dst = B4, .proto = 17,
              .sport = 1, .dport = 2, .ip_len = 28, .l3_end = 8 + IP4, .ports_end = 8 + IP4 + 4);
    /* LCP is not IP; a frame of one byte is a truncated link header. */
    f[2] = 0xc0;
    f[3] = 0x21;
    CHECK_DEC(DLT_PPP, f, 36, 36, .status = FS_DEC_NOT_IP);
    CHECK_DEC(DLT_PPP, f, 1, 36, .status = FS_DEC_TRUNC_LINK);

    /* DLT_PPP_ETHER: a PPPoE session header with no Ethernet before it. */
    s = pcapw_udp(A6, 3, B6, 4);
    s.n_encap = 1;
    s.encap[0] = PCAPW_PPPOE;
    n = pcapw_build(f, sizeof f, DLT_EN10MB, &s);
    CHECK_EQ_U(n, ETH + PPPOE + IP6 + UDP);
    CHECK_DEC(DLT_PPP_ETHER, f + ETH, (uint32_t)n - ETH, (uint32_t)n - ETH, .status = FS_DEC_OK,
              .src = A6, .dst = B6, .proto = 17, .sport = 3, .dport = 4, .ip_len = 48,
              .l3_end = PPPOE + IP6, .ports_end = PPPOE + IP6 + 4);
    CHECK_DEC(DLT_PPP_ETHER, f + ETH, 4, (uint32_t)n - ETH, .status = FS_DEC_TRUNC_LINK);
}

/* ---- IP length fields of 0 ------------------------------------------------------ */

TEST(decode_ip_len_zero)
{
    uint8_t f[512];
    /* IPv6 jumbogram: hop-by-hop header (8 bytes) with a Jumbo Payload option
     * of 100000; payload length 0. Captured with snaplen 86 of 100054 bytes:
     * ip_len is 40 + 100000, the ports are read from the capture. */
    pcapw_pkt s = pcapw_udp(A6, 1, B6, 2);
    s.payload_len = 16;
    s.jumbo = 100000;
    size_t n = pcapw_build(f, sizeof f, DLT_EN10MB, &s);
    CHECK_EQ_U(n, ETH + IP6 + 8 + UDP + 16);
    CHECK_DEC(DLT_EN10MB, f, (uint32_t)n, ETH + IP6 + 100000, .status = FS_DEC_OK, .src = A6,
              .dst = B6, .proto = 17, .sport = 1, .dport = 2, .ip_len = IP6 + 100000,
              .l3_end = ETH + IP6 + 8, .ports_end = ETH + IP6 + 8 + 4);
    /* The option wins over the frame even when the frame is whole. */
    CHECK_DEC(DLT_EN10MB, f, (uint32_t)n, (uint32_t)n, .status = FS_DEC_OK, .src = A6,
              .dst = B6, .proto = 17, .sport = 1, .dport = 2, .ip_len = IP6 + 100000,
              .l3_end = ETH + IP6 + 8, .ports_end = ETH + IP6 + 8 + 4);
    /* Behind PPPoE carrying MPLS (PPP protocol 0x0281), and behind MPLS
     * alone: the same length rules after any encapsulation. */
    s.n_encap = 2;
    s.encap[0] = PCAPW_PPPOE;
    s.encap[1] = PCAPW_MPLS;
    n = pcapw_build(f, sizeof f, DLT_EN10MB, &s);
    CHECK_EQ_U(n, ETH + PPPOE + LSE + IP6 + 8 + UDP + 16);
    CHECK_DEC(DLT_EN10MB, f, (uint32_t)n, (uint32_t)n, .status = FS_DEC_OK, .src = A6,
              .dst = B6, .proto = 17, .sport = 1, .dport = 2, .ip_len = IP6 + 100000,
              .l3_end = ETH + PPPOE + LSE + IP6 + 8, .ports_end = ETH + PPPOE + LSE + IP6 + 12);
    s.n_encap = 1;
    s.encap[0] = PCAPW_MPLS;
    n = pcapw_build(f, sizeof f, DLT_EN10MB, &s);
    CHECK_DEC(DLT_EN10MB, f, (uint32_t)n, ETH + LSE + IP6 + 100000, .status = FS_DEC_OK,
              .src = A6, .dst = B6, .proto = 17, .sport = 1, .dport = 2,
              .ip_len = IP6 + 100000, .l3_end = ETH + LSE + IP6 + 8,
              .ports_end = ETH + LSE + IP6 + 8 + 4);

    /* IPv6 payload length 0 and no option (BIG TCP without the hop-by-hop
     * header): the whole frame gives 66 - 14 = 52; cut, it cannot. */
    s = pcapw_udp(A6, 3, B6, 4);
    s.payload_len = 4;
    s.ip_len_set = 1;
    s.ip_len = 0;
    n = pcapw_build(f, sizeof f, DLT_EN10MB, &s);
    CHECK_EQ_U(n, 66);
    CHECK_DEC(DLT_EN10MB, f, 66, 66, .status = FS_DEC_OK, .src = A6, .dst = B6, .proto = 17,
              .sport = 3, .dport = 4, .ip_len = 52, .l3_end = ETH + IP6,
              .ports_end = ETH + IP6 + 4);
    CHECK_DEC(DLT_EN10MB, f, 64, 66, .status = FS_DEC_UNKNOWN_LEN);
    /* A hop-by-hop header without the jumbo option (PadN only) is the same. */
    s.n_ext = 1;
    s.ext[0] = 0;
    n = pcapw_build(f, sizeof f, DLT_EN10MB, &s);
    CHECK_EQ_U(n, 74);
    CHECK_DEC(DLT_EN10MB, f, 74, 74, .status = FS_DEC_OK, .src = A6, .dst = B6, .proto = 17,
              .sport = 3, .dport = 4, .ip_len = 60, .l3_end = ETH + IP6 + 8,
              .ports_end = ETH + IP6 + 8 + 4);
    CHECK_DEC(DLT_EN10MB, f, 70, 74, .status = FS_DEC_UNKNOWN_LEN);

    /* IPv4 total length 0 (TSO capture): whole frame 14 + 20 + 20 + 1000,
     * ip_len 1040; cut at 64 bytes: unknown_ip_len. */
    s = pcapw_tcp(A4, 5, B4, 6, FS_TCP_ACK);
    s.payload_len = 1000;
    s.ip_len_set = 1;
    s.ip_len = 0;
    static uint8_t big[ETH + 150000];
    n = pcapw_build(big, sizeof big, DLT_EN10MB, &s);
    CHECK_EQ_U(n, 1054);
    CHECK_DEC(DLT_EN10MB, big, 1054, 1054, .status = FS_DEC_OK, .src = A4, .dst = B4, .proto = 6,
              .sport = 5, .dport = 6, .ip_len = 1040, .l3_end = ETH + IP4,
              .ports_end = ETH + IP4 + 4);
    CHECK_DEC(DLT_EN10MB, big, 64, 1054, .status = FS_DEC_UNKNOWN_LEN);
    /* BIG TCP over IPv4: a 150000-byte datagram, captured whole. */
    CHECK_DEC(DLT_EN10MB, big, ETH + 150000, ETH + 150000, .status = FS_DEC_OK, .src = A4,
              .dst = B4, .proto = 6, .sport = 5, .dport = 6, .ip_len = 150000,
              .l3_end = ETH + IP4, .ports_end = ETH + IP4 + 4);
    /* Behind PPPoE: the frame after the PPPoE header. */
    s.n_encap = 1;
    s.encap[0] = PCAPW_PPPOE;
    n = pcapw_build(big, sizeof big, DLT_EN10MB, &s);
    CHECK_EQ_U(n, 1062);
    CHECK_DEC(DLT_EN10MB, big, 1062, 1062, .status = FS_DEC_OK, .src = A4, .dst = B4,
              .proto = 6, .sport = 5, .dport = 6, .ip_len = 1040, .l3_end = ETH + PPPOE + IP4,
              .ports_end = ETH + PPPOE + IP4 + 4);
    /* A nonzero total length below the header length stays bad_ip_header. */
    s = pcapw_udp(A4, 1, B4, 2);
    s.ip_len_set = 1;
    s.ip_len = 19;
    n = pcapw_build(f, sizeof f, DLT_EN10MB, &s);
    CHECK_DEC(DLT_EN10MB, f, (uint32_t)n, (uint32_t)n, .status = FS_DEC_BAD_HEADER);
    CHECK_STR(fs_decode_status_name[FS_DEC_UNKNOWN_LEN], "unknown_ip_len");
    CHECK(fs_decode_is_drop(FS_DEC_UNKNOWN_LEN));
}

/* ---- counts by reason through the reader ----------------------------------------- */

/* Reads path to the end; the packets' ip_len summed into *bytes. */
static int read_all(const char *path, fs_file_info *fi, uint64_t *npk, uint64_t *bytes)
{
    fs_reader *r = NULL;
    char err[512];
    if (fs_reader_open(&r, &path, 1, err, sizeof err)) {
        fprintf(stderr, "    %s\n", err);
        return -1;
    }
    fs_pkt p;
    int rc;
    *npk = *bytes = 0;
    while ((rc = fs_reader_next(r, &p, err, sizeof err)) == 1) {
        (*npk)++;
        *bytes += p.ip_len;
    }
    *fi = *fs_reader_file(r, 0);
    fi->path = NULL;
    fi->linktype_name = NULL;
    fs_reader_close(r);
    return rc;
}

TEST(decode_encap_counts)
{
    char dir[64], path[128];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);
    snprintf(path, sizeof path, "%s/encap.pcap", dir);
    pcapw *w = pcapw_open(path, DLT_EN10MB, 1);
    if (!w) { CHECK(w != NULL); return; }
    int64_t t = T0;
    uint8_t f[512];
    /* ok: MPLS IPv4 (28), MPLS + PW IPv6 (48), PPPoE IPv4 (28), VLAN PPPoE
     * IPv6 (48), PBB IPv4 (28), IPv6 jumbo cut (100040), IPv4 length 0
     * whole (28) */
    const uint8_t encs[5][2] = { {PCAPW_MPLS}, {PCAPW_MPLS, PCAPW_PW_ETH}, {PCAPW_PPPOE},
                                 {PCAPW_PPPOE}, {PCAPW_PBB} };
    for (int i = 0; i < 5; i++) {
        pcapw_pkt s = i % 2 ? pcapw_udp(A6, (uint16_t)i, B6, 9) : pcapw_udp(A4, (uint16_t)i, B4, 9);
        s.n_encap = encs[i][1] ? 2 : 1;
        memcpy(s.encap, encs[i], 2);
        s.n_vlan = i == 3;
        s.vlan[0] = 33;
        CHECK(pcapw_put(w, t++, &s) == 0);
    }
    pcapw_pkt s = pcapw_udp(A6, 1, B6, 2);
    s.jumbo = 100000;
    size_t n = pcapw_build(f, sizeof f, DLT_EN10MB, &s);
    pcapw_add(w, t++, f, (uint32_t)n, ETH + IP6 + 100000);
    s = pcapw_udp(A4, 1, B4, 2);
    s.ip_len_set = 1;
    s.ip_len = 0;
    CHECK(pcapw_put(w, t++, &s) == 0);
    /* dropped: IPv4 length 0 cut (unknown_ip_len); MPLS non-IP nibble and
     * PPPoE LCP and discovery (not_ip, 3); MPLS stack cut (truncated_link) */
    n = pcapw_build(f, sizeof f, DLT_EN10MB, &s);
    pcapw_add(w, t++, f, 40, (uint32_t)n);
    s = pcapw_udp(A4, 1, B4, 2);
    s.n_encap = 1;
    s.encap[0] = PCAPW_MPLS;
    n = pcapw_build(f, sizeof f, DLT_EN10MB, &s);
    f[ETH + LSE] = 0x15;
    pcapw_add(w, t++, f, (uint32_t)n, (uint32_t)n);
    pcapw_add(w, t++, f, ETH + 2, (uint32_t)n);
    s = pcapw_ip(A4, B4, 0);
    s.ipv = 0;
    s.payload_len = 12;
    s.n_encap = 1;
    s.encap[0] = PCAPW_PPPOE;
    s.ppp_proto = 0xc021;
    CHECK(pcapw_put(w, t++, &s) == 0);
    s.n_encap = 0;
    s.ethertype = 0x8863;
    CHECK(pcapw_put(w, t++, &s) == 0);
    CHECK(pcapw_close(w) == 0);

    fs_file_info fi;
    memset(&fi, 0, sizeof fi);
    uint64_t npk = 0, bytes = 0;
    CHECK_EQ_I(read_all(path, &fi, &npk, &bytes), 0);
    CHECK_EQ_U(fi.frames, 12);
    CHECK_EQ_U(npk, 7);
    CHECK_EQ_U(bytes, 28 + 48 + 28 + 48 + 28 + 100040 + 28);
    uint64_t exp[FS_DEC__COUNT] = {0};
    exp[FS_DEC_OK] = 7;
    exp[FS_DEC_UNKNOWN_LEN] = 1;
    exp[FS_DEC_NOT_IP] = 3;
    exp[FS_DEC_TRUNC_LINK] = 1;
    for (int k = 0; k < FS_DEC__COUNT; k++)
        if (fi.status[k] != exp[k]) {
            fprintf(stderr, "    status %s: got %llu, want %llu\n", fs_decode_status_name[k],
                    (unsigned long long)fi.status[k], (unsigned long long)exp[k]);
            CHECK(fi.status[k] == exp[k]);
        }
    pcapw_rmdir(dir);
}

/* ---- the run's warning ------------------------------------------------------------ */

/* Runs netflow over path (quiet: the warning goes to stderr) and keeps
 * stderr in err (n bytes). Returns th_run's status; *out is the run dir. */
static int run_capture(const char *path, const char *opts, char *out, size_t outn, char *err,
                       size_t n)
{
    char tmp[] = "/tmp/flowsim-stderr-XXXXXX";
    int fd = mkstemp(tmp);
    if (fd < 0)
        return -1;
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    const char *specs[] = { "netflow" };
    int rc = th_run(&path, 1, specs, 1, opts, out, outn);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ssize_t k = pread(fd, err, n - 1, 0);
    err[k > 0 ? k : 0] = '\0';
    close(fd);
    unlink(tmp);
    return rc;
}

TEST(decode_unmetered_warning)
{
    char dir[64], pppoe[128], mixed[128], out[256], err[4096];
    CHECK(pcapw_tmpdir(dir, sizeof dir) == 0);

    /* An all-PPPoE trace, as the tester's: 86 frames of 4 TCP flows, IPv4
     * and IPv6, 100 + 10*i payload bytes. Every frame is metered: netflow's
     * estimates are the truth, which is the sum of the IP lengths. */
    snprintf(pppoe, sizeof pppoe, "%s/pppoe.pcap", dir);
    pcapw *w = pcapw_open(pppoe, DLT_EN10MB, 1);
    if (!w) { CHECK(w != NULL); return; }
    double bytes = 0;
    for (int i = 0; i < 86; i++) {
        int fl = i % 4;
        pcapw_pkt s = fl < 2 ? pcapw_tcp(A4, (uint16_t)(1000 + fl), B4, 80, FS_TCP_ACK)
                             : pcapw_tcp(A6, (uint16_t)(1000 + fl), B6, 443, FS_TCP_ACK);
        s.payload_len = (uint16_t)(100 + 10 * i);
        s.n_encap = 1;
        s.encap[0] = PCAPW_PPPOE;
        CHECK(pcapw_put(w, T0 + (int64_t)i * FS_NS_PER_S / 10, &s) == 0);
        bytes += (fl < 2 ? IP4 : IP6) + TCP + s.payload_len;
    }
    CHECK(pcapw_close(w) == 0);
    CHECK_EQ_I(run_capture(pppoe, "bin=inf", out, sizeof out, err, sizeof err), 0);
    double v[1];
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "true_packets", v, 1), 1);
    CHECK_EQ_U(v[0], 86);
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "true_bytes", v, 1), 1);
    CHECK_EQ_U(v[0], bytes);
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "est_bytes", v, 1), 1);
    CHECK_EQ_U(v[0], bytes);
    CHECK_EQ_I(th_metric(out, 0, "all", "total", "all", "true_flows", v, 1), 1);
    CHECK_EQ_U(v[0], 4);
    CHECK(strstr(err, "warning") == NULL);
    th_cleanup(out);

    /* 90 IPv4 frames and 10 of an unknown ethertype (0x88b5, local
     * experimental): 10% not metered. */
    snprintf(mixed, sizeof mixed, "%s/mixed.pcap", dir);
    w = pcapw_open(mixed, DLT_EN10MB, 1);
    if (!w) { CHECK(w != NULL); return; }
    for (int i = 0; i < 100; i++) {
        pcapw_pkt s = pcapw_udp(A4, (uint16_t)(1 + i % 3), B4, 53);
        if (i % 10 == 9) {
            s.ipv = 0;
            s.ethertype = 0x88b5;
            s.payload_len = 46;
        }
        CHECK(pcapw_put(w, T0 + i, &s) == 0);
    }
    CHECK(pcapw_close(w) == 0);
    CHECK_EQ_I(run_capture(mixed, "bin=inf", out, sizeof out, err, sizeof err), 0);
    CHECK(strstr(err, "warning: 10 of 100 frames (10.0%) were not metered") != NULL);
    CHECK(strstr(err, "not_ip 10") != NULL);
    th_cleanup(out);
    /* At the threshold (10% of 100 is 10, not more) and above it: none. */
    CHECK_EQ_I(run_capture(mixed, "bin=inf,warn_unmetered=0.1", out, sizeof out, err,
                           sizeof err), 0);
    CHECK(strstr(err, "warning") == NULL);
    th_cleanup(out);
    CHECK_EQ_I(run_capture(mixed, "bin=inf,warn_unmetered=1", out, sizeof out, err,
                           sizeof err), 0);
    CHECK(strstr(err, "warning") == NULL);
    th_cleanup(out);

    /* The function itself: the top reasons, most frequent first, at most
     * FS_UNMETERED_TOP of them; 0 warns on any frame dropped. */
    fs_reader *r = NULL;
    char e[256], msg[512];
    CHECK_EQ_I(fs_reader_open(&r, (const char *const[]){ mixed }, 1, e, sizeof e), 0);
    fs_pkt p;
    while (fs_reader_next(r, &p, e, sizeof e) == 1)
        ;
    CHECK_EQ_I(fs_unmetered_warning(r, 0, msg, sizeof msg), 1);
    CHECK(strstr(msg, "by reason: not_ip 10 (") != NULL);
    CHECK_EQ_I(fs_unmetered_warning(r, 0.0999, msg, sizeof msg), 1);
    CHECK_EQ_I(fs_unmetered_warning(r, 0.1, msg, sizeof msg), 0);
    CHECK_STR(msg, "");
    fs_reader_close(r);
    pcapw_rmdir(dir);
}
