/* flowsim — synthetic trace generator: the streaming engine.
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
 *
 * Packets come out in timestamp order. A binary heap holds the next packet
 * time of every active unidirectional flow, plus one entry per packet
 * source that is not a flow (the background arrival process, the flood,
 * the scan). Popping the earliest entry emits one packet and pushes the
 * flow's next time back, so memory is O(concurrent flows) and the trace
 * length costs nothing. Ties are broken by push order, so the output is a
 * pure function of (parameters, seed).
 *
 * Flow keys are distinct by construction, which lets the totals count
 * unidirectional flows exactly without remembering past keys:
 *  - background IPv4 TCP/UDP connections take the next number of a serial
 *    counter, and an affine permutation of it picks the client host octet,
 *    the server host octet and the client (ephemeral) port; two different
 *    serials below 254*254*16384 thus differ in one of them;
 *  - background IPv4 ICMP connections do the same with the two host octets
 *    (254*254 of them; beyond that fs_gen_next reports an error);
 *  - IPv6 clients get a 64-bit interface id that is a permutation of the
 *    connection serial;
 *  - server-to-client flows have an ephemeral destination port (>= 49152)
 *    and a server source port (< 49152), the reverse of client flows, so
 *    they never share a key with a client-to-server flow;
 *  - attack flows have an endpoint in 198.18.0.0/15 (RFC 2544), a block
 *    background traffic never uses: the flood's spoofed sources are a
 *    permutation of the packet number (all distinct), and the scan probes
 *    distinct ports of another target;
 *  - the elephant takes a serial like any IPv4 TCP connection.
 */
#include "gen_api.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

/* ---- wire-format constants (protocol facts, not model knobs) ------------- */
#define ETH_HDR        14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86DD
#define IP4_HDR        20
#define IP6_HDR        40
#define TCP_HDR        20
#define UDP_HDR        8
#define ICMP_HDR       8
#define PROTO_ICMP     1
#define PROTO_TCP      6
#define PROTO_UDP      17
#define PROTO_ICMP6    58
#define ICMP4_ECHO_REQUEST 8
#define ICMP6_ECHO_REQUEST 128
#define IP4_DONT_FRAGMENT  0x4000
/* Initial TTL / hop limit of Linux hosts. */
#define INITIAL_TTL    64
/* Receive window in every TCP header; constant so tshark sees no window
 * updates.                                                                */
#define TCP_WINDOW     65535
/* Dynamic (ephemeral) ports start at 49152 (RFC 6335); client ports are
 * drawn there and server ports below, which keeps the two directions apart. */
#define EPHEMERAL_MIN  49152
#define EPHEMERAL_N    16384
/* Server ports beyond the well-known list are registered-range ports. */
#define SERVICE_RANDOM_MIN 1024
#define SERVICE_RANDOM_N   (EPHEMERAL_MIN - SERVICE_RANDOM_MIN)
/* Host octets 1..254 of a /24 (no network or broadcast address). */
#define HOSTS_PER_24   254
/* Servers inside an IPv6 /48 use interface ids ::1 .. ::fe. */
#define V6_SERVER_IIDS 254

/* Attack endpoints, all in 198.18.0.0/15 (RFC 2544 benchmarking), which the
 * background address map excludes.                                         */
#define ATTACK_VICTIM   0xC6120001u  /* 198.18.0.1: flood target */
#define ATTACK_SCAN_DST 0xC6120002u  /* 198.18.0.2: scan target  */
#define ATTACK_SCANNER  0xC6130001u  /* 198.19.0.1: the scanner  */

/* Locally administered MAC addresses of the two sides of the link. */
static const uint8_t mac_client_side[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t mac_server_side[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};

/* Most popular server ports first (rank 0 = most popular), by protocol. */
static const uint16_t wellknown_tcp[] = {443, 80, 22, 25, 993, 8080, 445, 3389, 587, 143,
                                         110, 21, 8443, 995, 5222, 3306, 1935, 5432, 853, 179};
static const uint16_t wellknown_udp[] = {53, 443, 123, 5353, 1900, 500, 4500, 3478, 161, 514,
                                         137, 5060, 1194, 19302, 69, 67};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* /24 blocks (in units of /24, i.e. address >> 8) that background and
 * spoofed addresses avoid: this network, private, shared, loopback,
 * link-local, benchmarking and multicast/reserved space. Sorted, disjoint. */
static const struct { uint32_t lo, hi; } v4_holes[] = {
    {0x000000, 0x010000},   /* 0.0.0.0/8       */
    {0x0A0000, 0x0B0000},   /* 10.0.0.0/8      */
    {0x644000, 0x648000},   /* 100.64.0.0/10   */
    {0x7F0000, 0x800000},   /* 127.0.0.0/8     */
    {0xA9FE00, 0xA9FF00},   /* 169.254.0.0/16  */
    {0xAC1000, 0xAC2000},   /* 172.16.0.0/12   */
    {0xC0A800, 0xC0A900},   /* 192.168.0.0/16  */
    {0xC61200, 0xC61400},   /* 198.18.0.0/15   */
    {0xE00000, 0x1000000},  /* 224.0.0.0/3     */
};

/* Number of usable /24 blocks. */
static uint32_t v4_valid_blocks(void)
{
    uint32_t n = 1u << 24;
    for (size_t i = 0; i < NELEM(v4_holes); i++)
        n -= v4_holes[i].hi - v4_holes[i].lo;
    return n;
}

/* j-th usable /24 block, in increasing order: skip each hole at or below. */
static uint32_t v4_block(uint32_t j)
{
    uint32_t v = j;
    for (size_t i = 0; i < NELEM(v4_holes); i++)
        if (v >= v4_holes[i].lo)
            v += v4_holes[i].hi - v4_holes[i].lo;
    return v;
}

/* ---- keyed permutations -----------------------------------------------------
 * A 4-round Feistel network on 2*half bits is a bijection whatever its round
 * function; cycle walking (re-applying it until the value is below n) turns
 * it into a bijection of [0, n). Used to spread ranks and serial numbers
 * over address space without tables.                                         */
typedef struct perm {
    uint64_t key[4];
    unsigned half;     /* bits per half, 1..32 */
    uint64_t n;        /* domain size; 0 means 2^(2*half) */
} perm;

static uint64_t mix64(uint64_t x)
{
    /* splitmix64's finaliser: every input bit affects every output bit. */
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}

static uint64_t feistel(const perm *p, uint64_t x)
{
    uint64_t mask = p->half == 32 ? UINT64_C(0xffffffff) : (UINT64_C(1) << p->half) - 1;
    uint64_t l = (x >> p->half) & mask, r = x & mask;
    for (int i = 0; i < 4; i++) {
        uint64_t t = l ^ (mix64(r ^ p->key[i]) & mask);
        l = r;
        r = t;
    }
    return (l << p->half) | r;
}

static uint64_t perm_apply(const perm *p, uint64_t x)
{
    do
        x = feistel(p, x);
    while (p->n && x >= p->n);
    return x;
}

/* ---- state ------------------------------------------------------------------- */

/* One direction of a connection: a unidirectional flow. */
struct gdir {
    uint32_t n;          /* planned packets                          */
    uint32_t i;          /* index of the next packet                 */
    uint32_t isn;        /* TCP initial sequence number              */
    uint32_t seq_next;   /* TCP: next sequence number to send        */
    double   gap_mean_s; /* mean gap between data packets            */
    uint16_t ip_id;      /* IPv4 identification of the next packet   */
    uint8_t  written;    /* a packet of this flow is in the output   */
    uint8_t  active;     /* scheduled in the heap                    */
    uint32_t flow_label; /* IPv6 flow label                          */
};

struct conn {
    uint8_t  client[16], server[16];   /* fs_key layout (IPv4 mapped) */
    uint16_t cport, sport;             /* client port, server port    */
    uint16_t icmp_id;
    uint8_t  proto, ipv6, kind;
    uint8_t  nsyn;                     /* 1, or 2 with a retransmission */
    uint8_t  end_flag;                 /* FIN, RST or 0 on last packets */
    uint64_t id;
    fs_ns    start;                    /* arrival time (trace time)    */
    fs_ns    t_lastsyn;
    double   period_ns;                /* elephant: packet spacing     */
    struct gdir d[2];
    uint32_t next_free;
};

/* Heap entry references that are not flows. */
#define REF_ARRIVAL UINT32_MAX
#define REF_FLOOD   (UINT32_MAX - 1)
#define REF_SCAN    (UINT32_MAX - 2)
#define NO_FREE     UINT32_MAX

struct hent {
    fs_ns    t;
    uint64_t tie;
    uint32_t ref;     /* conn index * 2 + direction, or REF_* */
};

struct fs_gen {
    fs_gen_params p;
    gsl_rng *r;
    gsl_ran_discrete_t *z_src, *z_dst, *z_port;
    uint16_t *port_tcp, *port_udp;     /* rank -> server port */
    perm v4src, v4dst, v6src, v6dst, spoof, iid;
    uint32_t v4_blocks;
    /* affine permutations of the serial counters (see the file comment) */
    uint64_t ser4_a, ser4_b, ser4_n, ser4_m;
    uint64_t seri_a, seri_b, seri_n, seri_m;
    uint64_t ser6_n;
    uint64_t conn_next_id;
    double   lambda_max;               /* thinning bound, connections/s */
    fs_ns    end;                      /* duration                       */
    fs_ns    epoch_ns;
    /* attacks */
    uint64_t flood_i, scan_i, scan_n;
    uint16_t scan_sport;
    /* heap and connection slab */
    struct hent *heap;
    size_t hn, hcap;
    uint64_t tie_next;
    struct conn *conns;
    uint32_t ncap, free_head, nlive;
    /* output */
    uint8_t *frame;
    uint32_t snaplen;
    fs_gen_totals tot;
};

/* ---- heap ------------------------------------------------------------------------ */

static int hless(const struct hent *a, const struct hent *b)
{
    return a->t < b->t || (a->t == b->t && a->tie < b->tie);
}

static void sift_down(fs_gen *g, size_t i)
{
    struct hent *h = g->heap;
    struct hent x = h[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= g->hn)
            break;
        if (c + 1 < g->hn && hless(&h[c + 1], &h[c]))
            c++;
        if (!hless(&h[c], &x))
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = x;
}

static int heap_push(fs_gen *g, fs_ns t, uint32_t ref)
{
    if (g->hn == g->hcap) {
        size_t cap = g->hcap ? 2 * g->hcap : 1024;
        struct hent *h = realloc(g->heap, cap * sizeof *h);
        if (!h)
            return -1;
        g->heap = h;
        g->hcap = cap;
    }
    struct hent x = {t, g->tie_next++, ref};
    size_t i = g->hn++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!hless(&x, &g->heap[parent]))
            break;
        g->heap[i] = g->heap[parent];
        i = parent;
    }
    g->heap[i] = x;
    return 0;
}

/* Gives the top entry a new time (it keeps its reference). */
static void heap_retime_top(fs_gen *g, fs_ns t)
{
    g->heap[0].t = t;
    g->heap[0].tie = g->tie_next++;
    sift_down(g, 0);
}

static void heap_pop(fs_gen *g)
{
    g->heap[0] = g->heap[--g->hn];
    if (g->hn)
        sift_down(g, 0);
}

/* ---- random helpers ------------------------------------------------------------- */

static uint64_t rand64(gsl_rng *r)
{
    return fs_rng_u64(r);
}

static uint32_t rand32(gsl_rng *r)
{
    return (uint32_t)(gsl_rng_get(r) & 0xffffffffu);
}

static void perm_init(perm *p, gsl_rng *r, unsigned half, uint64_t n)
{
    for (int i = 0; i < 4; i++)
        p->key[i] = rand64(r);
    p->half = half;
    p->n = n;
}

/* Affine permutation x -> (a x + b) mod m with a coprime to m. Every m used
 * here is 2^k * 127^2, so a odd and not a multiple of 127 will do.        */
#define SERIAL_ODD_PRIME 127
static void affine_init(gsl_rng *r, uint64_t m, uint64_t *a, uint64_t *b)
{
    uint64_t x = (rand64(r) % m) | 1;
    if (x % SERIAL_ODD_PRIME == 0)
        x = (x + 2) % m;
    *a = x;
    *b = rand64(r) % m;
}

static double rate_at(const fs_gen_params *p, fs_ns t)
{
    double l = p->flow_rate;
    switch (p->rate_shape) {
    case FS_GEN_RATE_RAMP: {
        double f = t <= 0 ? 0 : t >= p->duration_ns ? 1 : (double)t / (double)p->duration_ns;
        return l * (1 + (p->ramp_end - 1) * f);
    }
    case FS_GEN_RATE_STEP:
        return t >= p->step_at_ns ? l * p->step_factor : l;
    case FS_GEN_RATE_DIURNAL:
        return l * (1 + p->diurnal_amp * sin(2 * M_PI * (double)(t + p->diurnal_phase_ns) /
                                              (double)p->diurnal_period_ns));
    default:
        return l;
    }
}

static double rate_max(const fs_gen_params *p)
{
    double l = p->flow_rate;
    switch (p->rate_shape) {
    case FS_GEN_RATE_RAMP:
        return l * fmax(1, p->ramp_end);
    case FS_GEN_RATE_STEP:
        return l * fmax(1, p->step_factor);
    case FS_GEN_RATE_DIURNAL:
        return l * (1 + p->diurnal_amp);
    default:
        return l;
    }
}

static fs_ns exp_gap_ns(gsl_rng *r, double mean_s)
{
    double ns = gsl_ran_exponential(r, mean_s) * 1e9;
    /* A gap beyond ~290 years is as good as never. */
    return ns >= 9e18 ? FS_NS_INF / 2 : (fs_ns)llround(ns);
}

static uint32_t draw_size(fs_gen *g)
{
    const fs_gen_params *p = &g->p;
    double x;
    int law = p->size_law;
    if (law == FS_GEN_SIZE_MIXTURE)
        law = gsl_rng_uniform(g->r) < p->mix_pareto_frac ? FS_GEN_SIZE_PARETO
                                                         : FS_GEN_SIZE_LOGNORMAL;
    if (law == FS_GEN_SIZE_PARETO)
        x = gsl_ran_pareto(g->r, p->pareto_shape, p->pareto_scale);
    else
        x = gsl_ran_lognormal(g->r, log(p->lognormal_median), p->lognormal_sigma);
    /* size = max(1, floor(X)): P(size <= k) = P(X < k + 1) for k >= 1, so a
     * Pareto law with scale 1 gives P(size >= k) = k^-alpha exactly.     */
    double f = floor(x);
    if (!(f < (double)p->size_max))
        return (uint32_t)p->size_max;
    return f < 1 ? 1 : (uint32_t)f;
}

/* Mean gap between packets of a flow of n packets (see pkt_rate). */
static double draw_gap_mean(fs_gen *g, uint32_t n)
{
    const fs_gen_params *p = &g->p;
    double rate = p->pkt_rate * pow((double)n, p->pkt_rate_exp) *
                  gsl_ran_lognormal(g->r, 0, p->pkt_rate_sigma);
    return 1.0 / rate;
}

/* IP total length of a data packet: the packet-size mixture. */
static uint32_t draw_ip_len(fs_gen *g, uint32_t hdr)
{
    const fs_gen_params *p = &g->p;
    uint32_t mtu = (uint32_t)p->mtu_bytes;
    double u = gsl_rng_uniform(g->r);
    if (u < p->pkt_small_frac)
        return hdr;
    u -= p->pkt_small_frac;
    if (u < p->pkt_mid_frac)
        return p->pkt_mid_bytes > hdr ? (uint32_t)p->pkt_mid_bytes : hdr;
    u -= p->pkt_mid_frac;
    if (u < p->pkt_mtu_frac)
        return mtu;
    return hdr + (uint32_t)gsl_rng_uniform_int(g->r, mtu - hdr + 1);
}

/* ---- addresses --------------------------------------------------------------------- */

static void set_v4(uint8_t a[16], uint32_t ip)
{
    memset(a, 0, 10);
    a[10] = a[11] = 0xff;
    a[12] = (uint8_t)(ip >> 24);
    a[13] = (uint8_t)(ip >> 16);
    a[14] = (uint8_t)(ip >> 8);
    a[15] = (uint8_t)ip;
}

static uint32_t v4_prefix(const perm *pm, size_t rank)
{
    return v4_block((uint32_t)perm_apply(pm, rank)) << 8;
}

static void v6_prefix(const perm *pm, size_t rank, uint8_t a[16])
{
    /* 2000::/3 global unicast: 3 fixed bits then a 45-bit prefix index. */
    uint64_t pfx = (UINT64_C(1) << 45) | perm_apply(pm, rank);
    for (int i = 0; i < 6; i++)
        a[i] = (uint8_t)(pfx >> (40 - 8 * i));
}

static void put_u64(uint8_t *b, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* ---- connections ------------------------------------------------------------------- */

static int conn_alloc(fs_gen *g, uint32_t *out)
{
    if (g->free_head == NO_FREE) {
        uint32_t cap = g->ncap ? 2 * g->ncap : 1024;
        struct conn *c = realloc(g->conns, (size_t)cap * sizeof *c);
        if (!c)
            return -1;
        for (uint32_t i = g->ncap; i < cap; i++)
            c[i].next_free = i + 1 < cap ? i + 1 : g->free_head;
        g->free_head = g->ncap;
        g->conns = c;
        g->ncap = cap;
    }
    *out = g->free_head;
    g->free_head = g->conns[*out].next_free;
    memset(&g->conns[*out], 0, sizeof g->conns[*out]);
    g->nlive++;
    if (g->nlive > g->tot.max_active)
        g->tot.max_active = g->nlive;
    return 0;
}

static void conn_release(fs_gen *g, uint32_t ci)
{
    g->conns[ci].next_free = g->free_head;
    g->free_head = ci;
    g->nlive--;
}

/* IPv4 endpoints of background connection c (proto already set) from the
 * next number of its serial counter: the affine permutation of the serial
 * picks the host octets and, for TCP/UDP, the client port, which is what
 * keeps flow keys distinct (see the file comment). Returns 0, or -1 when
 * the serial space is used up.                                            */
static int v4_endpoints(fs_gen *g, struct conn *c, size_t src_rank, size_t dst_rank,
                        char *err, size_t errlen)
{
    int icmp = c->proto == PROTO_ICMP;
    uint64_t *n = icmp ? &g->seri_n : &g->ser4_n;
    uint64_t m = icmp ? g->seri_m : g->ser4_m;
    if (*n >= m) {
        snprintf(err, errlen, "more than %llu IPv4 %s connections: their flow keys cannot "
                 "all be distinct; lower duration or flow_rate%s", (unsigned long long)m,
                 icmp ? "ICMP" : "TCP/UDP",
                 icmp ? ", or the ICMP share 1 - tcp_frac - udp_frac" : "");
        return -1;
    }
    uint64_t s = icmp ? (g->seri_a * (*n)++ + g->seri_b) % m
                      : (g->ser4_a * (*n)++ + g->ser4_b) % m;
    if (!icmp) {
        c->cport = (uint16_t)(EPHEMERAL_MIN + s % EPHEMERAL_N);
        s /= EPHEMERAL_N;
    }
    set_v4(c->client, v4_prefix(&g->v4src, src_rank) | (1 + (uint32_t)(s % HOSTS_PER_24)));
    set_v4(c->server, v4_prefix(&g->v4dst, dst_rank) | (1 + (uint32_t)(s / HOSTS_PER_24)));
    return 0;
}

/* Time of packet i of direction d, given the time of packet i-1 (t_prev). */
static fs_ns next_time(fs_gen *g, const struct conn *c, int d, uint32_t i, fs_ns t_prev)
{
    if (c->kind == FS_GEN_ELEPHANT)
        return c->start + (fs_ns)floor((double)i * c->period_ns);
    if (c->proto == PROTO_TCP) {
        if (d == 0) {
            if (i == 0)
                return c->start;
            if (i < c->nsyn)
                return c->t_lastsyn;
            if (i == c->nsyn)
                return c->t_lastsyn + g->p.rtt_ns;
        } else if (i == 0) {
            return c->t_lastsyn + g->p.rtt_ns / 2;
        }
    } else if (i == 0) {
        return c->start;
    }
    fs_ns gap = exp_gap_ns(g->r, c->d[d].gap_mean_s);
    return gap > FS_NS_INF / 2 - t_prev ? FS_NS_INF / 2 : t_prev + gap;
}

/* Schedules direction d's packet i; a flow whose next packet falls at or
 * after the end is finished. Returns 1 if scheduled, 0 if not, -1 (OOM). */
static int schedule(fs_gen *g, uint32_t ci, int d, fs_ns t_prev)
{
    struct conn *c = &g->conns[ci];
    struct gdir *dir = &c->d[d];
    if (dir->i >= dir->n)
        return 0;
    fs_ns t = next_time(g, c, d, dir->i, t_prev);
    if (t >= g->end)
        return 0;
    if (heap_push(g, t, ci * 2 + (uint32_t)d))
        return -1;
    dir->active = 1;
    return 1;
}

static void init_dir(fs_gen *g, struct gdir *dir, uint32_t n)
{
    dir->n = n;
    dir->isn = rand32(g->r);
    dir->seq_next = dir->isn;
    dir->gap_mean_s = draw_gap_mean(g, n);
    dir->ip_id = (uint16_t)gsl_rng_uniform_int(g->r, 65536);
    dir->flow_label = (uint32_t)gsl_rng_uniform_int(g->r, 1u << 20);
}

/* A background connection arriving at t. Returns 0, or -1 with err. */
static int new_background(fs_gen *g, fs_ns t, char *err, size_t errlen)
{
    const fs_gen_params *p = &g->p;
    uint32_t ci;
    if (conn_alloc(g, &ci)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    struct conn *c = &g->conns[ci];
    c->id = g->conn_next_id++;
    c->kind = FS_GEN_BACKGROUND;
    c->start = t;
    if (t >= 0)
        g->tot.connections++;
    double u = gsl_rng_uniform(g->r);
    c->proto = u < p->tcp_frac ? PROTO_TCP : u < p->tcp_frac + p->udp_frac ? PROTO_UDP
                                                                            : PROTO_ICMP;
    c->ipv6 = gsl_rng_uniform(g->r) < p->ipv6_frac;
    size_t src_rank = gsl_ran_discrete(g->r, g->z_src);
    size_t dst_rank = gsl_ran_discrete(g->r, g->z_dst);
    if (c->proto == PROTO_ICMP) {
        c->icmp_id = (uint16_t)gsl_rng_uniform_int(g->r, 65536);
        if (c->ipv6)
            c->proto = PROTO_ICMP6;
    } else {
        size_t port_rank = gsl_ran_discrete(g->r, g->z_port);
        c->sport = c->proto == PROTO_TCP ? g->port_tcp[port_rank] : g->port_udp[port_rank];
    }
    if (c->ipv6) {
        v6_prefix(&g->v6src, src_rank, c->client);
        uint16_t subnet = (uint16_t)gsl_rng_uniform_int(g->r, 65536);
        c->client[6] = (uint8_t)(subnet >> 8);
        c->client[7] = (uint8_t)subnet;
        put_u64(c->client + 8, perm_apply(&g->iid, g->ser6_n++));
        v6_prefix(&g->v6dst, dst_rank, c->server);
        put_u64(c->server + 8, 1 + gsl_rng_uniform_int(g->r, V6_SERVER_IIDS));
        if (c->proto != PROTO_ICMP6)
            c->cport = (uint16_t)(EPHEMERAL_MIN + gsl_rng_uniform_int(g->r, EPHEMERAL_N));
    } else {
        if (v4_endpoints(g, c, src_rank, dst_rank, err, errlen))
            return -1;
    }
    uint32_t n_fwd = draw_size(g);
    uint32_t n_rev = 0;
    c->nsyn = 1;
    c->t_lastsyn = t;
    if (c->proto == PROTO_TCP) {
        if (gsl_rng_uniform(g->r) < p->tcp_reverse_frac)
            n_rev = draw_size(g);
        double e = gsl_rng_uniform(g->r);
        c->end_flag = e < p->tcp_fin_frac ? FS_TCP_FIN
                      : e < p->tcp_fin_frac + p->tcp_rst_frac ? FS_TCP_RST : 0;
        if (n_fwd >= 2 && gsl_rng_uniform(g->r) < p->syn_retx_prob) {
            c->nsyn = 2;
            c->t_lastsyn = t + p->syn_rto_ns;
        }
    }
    init_dir(g, &c->d[0], n_fwd);
    if (n_rev)
        init_dir(g, &c->d[1], n_rev);
    else if (c->proto == PROTO_TCP)
        c->d[1].isn = rand32(g->r);   /* the unseen server's ISN, for ACKs */
    int a = schedule(g, ci, 0, t);
    int b = n_rev ? schedule(g, ci, 1, t) : 0;
    if (a < 0 || b < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (!a && !b)
        conn_release(g, ci);
    return 0;
}

static int new_elephant(fs_gen *g, char *err, size_t errlen)
{
    const fs_gen_params *p = &g->p;
    uint32_t ci;
    if (conn_alloc(g, &ci)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    struct conn *c = &g->conns[ci];
    c->id = g->conn_next_id++;
    c->kind = FS_GEN_ELEPHANT;
    c->proto = PROTO_TCP;
    c->start = p->elephant_start_ns;
    c->t_lastsyn = c->start;
    c->nsyn = 1;
    c->end_flag = FS_TCP_FIN;
    c->period_ns = 1e9 / p->elephant_rate;
    double n = ceil((double)p->elephant_duration_ns / c->period_ns);
    c->d[0].n = n < 1 ? 1 : n > 4e9 ? 4000000000u : (uint32_t)n;
    c->d[0].isn = rand32(g->r);
    c->d[0].seq_next = c->d[0].isn;
    c->d[0].ip_id = (uint16_t)gsl_rng_uniform_int(g->r, 65536);
    /* Endpoints like a background connection to the most popular server
     * prefix and port, with the next serial so its key is unique.         */
    if (v4_endpoints(g, c, 0, 0, err, errlen))
        return -1;
    c->sport = g->port_tcp[0];
    int a = schedule(g, ci, 0, c->start);
    if (a < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (!a)
        conn_release(g, ci);
    return 0;
}

/* ---- frames ------------------------------------------------------------------------- */

static uint32_t sum16(const uint8_t *b, size_t n, uint32_t s)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)b[i] << 8 | b[i + 1];
    if (n & 1)
        s += (uint32_t)b[n - 1] << 8;
    return s;
}

static uint16_t fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static void put16(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

static void put32(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

/* What one packet carries beyond its connection's endpoints. */
struct pkt_fields {
    uint32_t ip_len;
    uint8_t  flags;       /* TCP flags */
    uint32_t seq, ack;
    uint16_t ip_id;
    uint32_t flow_label;
    uint16_t icmp_seq;
};

/* Writes the frame of a packet of direction d of c into g->frame and fills
 * the packet's key and sizes. Payload bytes are zero, which is why the
 * transport checksums only need the pseudo-header and the header.         */
static void build_frame(fs_gen *g, const struct conn *c, int d, const struct pkt_fields *f,
                        fs_gen_pkt *out)
{
    uint8_t *b = g->frame;
    const uint8_t *src = d ? c->server : c->client;
    const uint8_t *dst = d ? c->client : c->server;
    uint16_t sp = d ? c->sport : c->cport, dp = d ? c->cport : c->sport;
    uint32_t iph = c->ipv6 ? IP6_HDR : IP4_HDR;
    uint32_t l4h = c->proto == PROTO_TCP ? TCP_HDR : c->proto == PROTO_UDP ? UDP_HDR : ICMP_HDR;
    uint32_t l4len = f->ip_len - iph;
    uint32_t wire = ETH_HDR + f->ip_len;
    uint32_t hdr_end = ETH_HDR + iph + l4h;
    uint32_t caplen = g->snaplen ? (wire < g->snaplen ? wire : g->snaplen) : hdr_end;

    memcpy(b, d ? mac_client_side : mac_server_side, 6);
    memcpy(b + 6, d ? mac_server_side : mac_client_side, 6);
    put16(b + 12, c->ipv6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4);
    uint8_t *ip = b + ETH_HDR;
    uint32_t psum;   /* pseudo-header sum for the transport checksum */
    if (c->ipv6) {
        put32(ip, 6u << 28 | f->flow_label);
        put16(ip + 4, l4len);
        ip[6] = c->proto;
        ip[7] = INITIAL_TTL;
        memcpy(ip + 8, src, 16);
        memcpy(ip + 24, dst, 16);
        psum = sum16(ip + 8, 32, 0) + (l4len >> 16) + (l4len & 0xffff) + c->proto;
    } else {
        ip[0] = 0x45;
        ip[1] = 0;
        put16(ip + 2, f->ip_len);
        put16(ip + 4, f->ip_id);
        put16(ip + 6, IP4_DONT_FRAGMENT);
        ip[8] = INITIAL_TTL;
        ip[9] = c->proto;
        ip[10] = ip[11] = 0;
        memcpy(ip + 12, src + 12, 4);
        memcpy(ip + 16, dst + 12, 4);
        put16(ip + 10, fold(sum16(ip, IP4_HDR, 0)));
        psum = sum16(ip + 12, 8, 0) + l4len + c->proto;
    }
    uint8_t *l4 = ip + iph;
    memset(l4, 0, caplen > ETH_HDR + iph ? caplen - ETH_HDR - iph : 0);
    memset(&out->key, 0, sizeof out->key);
    if (c->proto == PROTO_TCP) {
        put16(l4, sp);
        put16(l4 + 2, dp);
        put32(l4 + 4, f->seq);
        put32(l4 + 8, (f->flags & FS_TCP_ACK) ? f->ack : 0);
        l4[12] = (TCP_HDR / 4) << 4;
        l4[13] = f->flags;
        put16(l4 + 14, TCP_WINDOW);
        put16(l4 + 16, fold(sum16(l4, TCP_HDR, psum)));
        out->key.sport = sp;
        out->key.dport = dp;
    } else if (c->proto == PROTO_UDP) {
        put16(l4, sp);
        put16(l4 + 2, dp);
        put16(l4 + 4, l4len);
        uint16_t cs = fold(sum16(l4, UDP_HDR, psum));
        put16(l4 + 6, cs ? cs : 0xffff);   /* 0 means "no checksum" */
        out->key.sport = sp;
        out->key.dport = dp;
    } else {
        uint8_t type = c->ipv6 ? ICMP6_ECHO_REQUEST : ICMP4_ECHO_REQUEST;
        l4[0] = type;
        l4[1] = 0;
        put16(l4 + 4, c->icmp_id);
        put16(l4 + 6, f->icmp_seq);
        put16(l4 + 2, fold(sum16(l4, ICMP_HDR, c->ipv6 ? psum : 0)));
        out->key.sport = 0;
        out->key.dport = (uint16_t)(type << 8);
    }
    memcpy(out->key.src, src, 16);
    memcpy(out->key.dst, dst, 16);
    out->key.proto = c->proto;
    out->key.flags = c->ipv6 ? FS_KEY_V6 : 0;
    out->frame = b;
    out->caplen = caplen;
    out->wire_len = wire;
    out->ip_len = f->ip_len;
    out->proto = c->proto;
    out->ipv6 = c->ipv6;
    out->tcp_flags = c->proto == PROTO_TCP ? f->flags : 0;
    out->kind = c->kind;
    out->reverse = (uint8_t)d;
    out->conn_id = c->id;
    out->conn_start_ns = c->start;
}

/* Fields of the next packet of direction d, advancing its TCP state. */
static void next_fields(fs_gen *g, struct conn *c, int d, struct pkt_fields *f)
{
    struct gdir *dir = &c->d[d];
    struct gdir *peer = &c->d[1 - d];
    uint32_t iph = c->ipv6 ? IP6_HDR : IP4_HDR;
    uint32_t i = dir->i;
    int last = i + 1 == dir->n;
    memset(f, 0, sizeof *f);
    f->ip_id = dir->ip_id++;
    f->flow_label = dir->flow_label;
    if (c->proto != PROTO_TCP) {
        uint32_t hdr = iph + (c->proto == PROTO_UDP ? UDP_HDR : ICMP_HDR);
        f->ip_len = draw_ip_len(g, hdr);
        f->icmp_seq = (uint16_t)(i + 1);
        return;
    }
    uint32_t hdr = iph + TCP_HDR;
    int syn = d == 0 ? i < c->nsyn : i == 0;
    if (syn) {
        f->ip_len = hdr;
        f->seq = dir->isn;
        f->flags = FS_TCP_SYN;
        if (d == 1) {
            f->flags |= FS_TCP_ACK;
            f->ack = c->d[0].isn + 1;
        }
        dir->seq_next = dir->isn + 1;
        return;
    }
    uint8_t end = last ? c->end_flag : 0;
    if (end == FS_TCP_RST)
        f->ip_len = hdr;
    else if (c->kind == FS_GEN_ELEPHANT)
        f->ip_len = (uint32_t)g->p.mtu_bytes;
    else
        f->ip_len = draw_ip_len(g, hdr);
    uint32_t payload = f->ip_len - hdr;
    f->seq = dir->seq_next;
    /* Acknowledge what the peer has sent so far; a peer that is not in
     * the trace (one-way connection) is taken to have sent its SYN/ACK.  */
    f->ack = peer->n && peer->i ? peer->seq_next : peer->isn + 1;
    f->flags = FS_TCP_ACK | end | (payload ? FS_TCP_PSH : 0);
    dir->seq_next += payload + (end == FS_TCP_FIN ? 1 : 0);
}

/* ---- attack packets ------------------------------------------------------------------ */

/* A one-packet attack flow from client to server: a SYN (header only),
 * or a UDP datagram of udp_ip_len bytes.                                  */
static void attack_packet(fs_gen *g, fs_ns t, int kind, uint32_t client, uint32_t server,
                          uint16_t cport, uint16_t sport, int syn, uint32_t udp_ip_len,
                          fs_gen_pkt *out)
{
    struct conn c;
    memset(&c, 0, sizeof c);
    c.kind = (uint8_t)kind;
    c.id = UINT64_MAX;
    c.start = t;
    c.proto = syn ? PROTO_TCP : PROTO_UDP;
    set_v4(c.client, client);
    set_v4(c.server, server);
    c.cport = cport;
    c.sport = sport;
    struct pkt_fields f;
    memset(&f, 0, sizeof f);
    f.ip_id = (uint16_t)gsl_rng_uniform_int(g->r, 65536);
    if (syn) {
        f.ip_len = IP4_HDR + TCP_HDR;
        f.flags = FS_TCP_SYN;
        f.seq = rand32(g->r);
    } else {
        f.ip_len = udp_ip_len;
    }
    build_frame(g, &c, 0, &f, out);
    out->flow_pkts = 1;
    out->seq = 0;
    out->first_written = 1;
}

/* Flood packet flood_i: a one-packet flow from the flood_i-th spoofed
 * source (a permutation of the usable IPv4 space, so all distinct).       */
static void flood_packet(fs_gen *g, fs_ns t, fs_gen_pkt *out)
{
    const fs_gen_params *p = &g->p;
    uint64_t idx = perm_apply(&g->spoof, g->flood_i++);
    uint32_t src = v4_block((uint32_t)(idx >> 8)) << 8 | (uint32_t)(idx & 0xff);
    uint16_t cport = (uint16_t)(SERVICE_RANDOM_MIN +
                                gsl_rng_uniform_int(g->r, 65536 - SERVICE_RANDOM_MIN));
    attack_packet(g, t, FS_GEN_FLOOD, src, ATTACK_VICTIM, cport, (uint16_t)p->flood_dport,
                  p->flood_kind == FS_GEN_FLOOD_SYN, (uint32_t)p->flood_bytes, out);
}

/* Scan probe scan_i: a SYN to the next port of the target. */
static void scan_packet(fs_gen *g, fs_ns t, fs_gen_pkt *out)
{
    uint16_t port = (uint16_t)(g->p.scan_first_port + g->scan_i++);
    attack_packet(g, t, FS_GEN_SCAN, ATTACK_SCANNER, ATTACK_SCAN_DST, g->scan_sport, port, 1,
                  0, out);
}

/* Time of attack packet i of a constant-rate window. */
static fs_ns window_time(fs_ns start, double rate, uint64_t i)
{
    return start + (fs_ns)floor((double)i * (1e9 / rate));
}

/* ---- API ------------------------------------------------------------------------------ */

static int zipf_table(gsl_ran_discrete_t **out, uint64_t n, double s)
{
    double *w = malloc((size_t)n * sizeof *w);
    if (!w)
        return -1;
    for (uint64_t k = 0; k < n; k++)
        w[k] = pow((double)(k + 1), -s);
    *out = gsl_ran_discrete_preproc((size_t)n, w);
    free(w);
    return *out ? 0 : -1;
}

/* Rank -> port tables: well-known ports first, then a shuffled sample of
 * registered ports not already in the list.                               */
static int port_tables(fs_gen *g)
{
    size_t n = (size_t)g->p.dst_ports;
    uint16_t *rest = malloc(SERVICE_RANDOM_N * sizeof *rest);
    g->port_tcp = malloc(n * sizeof *g->port_tcp);
    g->port_udp = malloc(n * sizeof *g->port_udp);
    if (!rest || !g->port_tcp || !g->port_udp) {
        free(rest);
        return -1;
    }
    for (uint32_t i = 0; i < SERVICE_RANDOM_N; i++)
        rest[i] = (uint16_t)(SERVICE_RANDOM_MIN + i);
    gsl_ran_shuffle(g->r, rest, SERVICE_RANDOM_N, sizeof *rest);
    for (int proto = 0; proto < 2; proto++) {
        const uint16_t *wk = proto ? wellknown_udp : wellknown_tcp;
        size_t nwk = proto ? NELEM(wellknown_udp) : NELEM(wellknown_tcp);
        uint16_t *t = proto ? g->port_udp : g->port_tcp;
        size_t k = 0, j = 0;
        for (; k < n && k < nwk; k++)
            t[k] = wk[k];
        while (k < n && j < SERVICE_RANDOM_N) {
            uint16_t cand = rest[j++];
            int dup = 0;
            for (size_t w = 0; w < nwk; w++)
                dup |= wk[w] == cand;
            if (!dup)
                t[k++] = cand;
        }
    }
    free(rest);
    return 0;
}

int fs_gen_open(fs_gen **out, const fs_gen_params *p, uint64_t seed, char *err,
                size_t errlen)
{
    *out = NULL;
    if (fs_gen_params_check(p, err, errlen))
        return -1;
    fs_gen *g = calloc(1, sizeof *g);
    if (!g) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    g->p = *p;
    g->free_head = NO_FREE;
    g->end = p->duration_ns;
    g->epoch_ns = (fs_ns)p->epoch_s * FS_NS_PER_S;
    g->snaplen = (uint32_t)p->snaplen_bytes;
    /* every bit of the 64-bit seed matters (rng.h) */
    g->r = fs_rng_alloc(seed);
    g->frame = calloc(1, (size_t)(p->snaplen_bytes ? p->snaplen_bytes : 128) + 128);
    if (!g->r || !g->frame)
        goto oom;
    g->v4_blocks = v4_valid_blocks();
    /* Ranks are at most 4Mi, well below the ~13.5M usable /24 blocks. */
    perm_init(&g->v4src, g->r, 12, g->v4_blocks);
    perm_init(&g->v4dst, g->r, 12, g->v4_blocks);
    perm_init(&g->v6src, g->r, 23, UINT64_C(1) << 45);
    perm_init(&g->v6dst, g->r, 23, UINT64_C(1) << 45);
    perm_init(&g->spoof, g->r, 16, (uint64_t)g->v4_blocks << 8);
    perm_init(&g->iid, g->r, 32, 0);
    g->ser4_m = (uint64_t)HOSTS_PER_24 * HOSTS_PER_24 * EPHEMERAL_N;
    g->seri_m = (uint64_t)HOSTS_PER_24 * HOSTS_PER_24;
    affine_init(g->r, g->ser4_m, &g->ser4_a, &g->ser4_b);
    affine_init(g->r, g->seri_m, &g->seri_a, &g->seri_b);
    g->scan_sport = (uint16_t)(SERVICE_RANDOM_MIN +
                               gsl_rng_uniform_int(g->r, 65536 - SERVICE_RANDOM_MIN));
    if (zipf_table(&g->z_src, p->src_prefixes, p->src_zipf) ||
        zipf_table(&g->z_dst, p->dst_prefixes, p->dst_zipf) ||
        zipf_table(&g->z_port, p->dst_ports, p->dst_port_zipf) || port_tables(g))
        goto oom;

    /* Sources of packets: the background arrivals (from -warmup on), then
     * each enabled attack.                                                */
    g->lambda_max = rate_max(p);
    fs_ns t0 = -p->warmup_ns + exp_gap_ns(g->r, 1.0 / g->lambda_max);
    if (heap_push(g, t0, REF_ARRIVAL))
        goto oom;
    if (p->flood_duration_ns > 0) {
        double n = (double)p->flood_duration_ns / 1e9 * p->flood_rate;
        if (n > (double)((uint64_t)g->v4_blocks << 8)) {
            snprintf(err, errlen, "parameters flood_rate x flood_duration ask for more "
                     "distinct spoofed sources than there are usable IPv4 addresses");
            fs_gen_close(g);
            return -1;
        }
        if (heap_push(g, p->flood_start_ns, REF_FLOOD))
            goto oom;
    }
    if (p->scan_duration_ns > 0) {
        g->scan_n = p->scan_ports;
        if (heap_push(g, p->scan_start_ns, REF_SCAN))
            goto oom;
    }
    if (p->elephant_duration_ns > 0 && new_elephant(g, err, errlen)) {
        fs_gen_close(g);
        return -1;
    }
    *out = g;
    return 0;
oom:
    fs_gen_close(g);
    snprintf(err, errlen, "out of memory");
    return -1;
}

void fs_gen_close(fs_gen *g)
{
    if (!g)
        return;
    if (g->r)
        gsl_rng_free(g->r);
    if (g->z_src)
        gsl_ran_discrete_free(g->z_src);
    if (g->z_dst)
        gsl_ran_discrete_free(g->z_dst);
    if (g->z_port)
        gsl_ran_discrete_free(g->z_port);
    free(g->port_tcp);
    free(g->port_udp);
    free(g->heap);
    free(g->conns);
    free(g->frame);
    free(g);
}

void fs_gen_get_totals(const fs_gen *g, fs_gen_totals *t)
{
    *t = g->tot;
}

/* Books an emitted packet into the totals and stamps its timestamp. */
static void account(fs_gen *g, fs_ns rel, fs_gen_pkt *pkt)
{
    fs_gen_totals *t = &g->tot;
    pkt->rel_ns = rel;
    pkt->ts = g->epoch_ns + rel;
    if (g->p.tstamp == FS_GEN_TS_US)
        pkt->ts -= pkt->ts % FS_NS_PER_US;
    if (!t->packets)
        t->first_ts = pkt->ts;
    t->last_ts = pkt->ts;
    t->packets++;
    t->bytes_ip += pkt->ip_len;
    t->bytes_wire += pkt->wire_len;
    if (pkt->ipv6)
        t->ipv6_packets++;
    else
        t->ipv4_packets++;
    if (pkt->first_written) {
        t->flows++;
        switch (pkt->proto) {
        case PROTO_TCP: t->flows_tcp++; break;
        case PROTO_UDP: t->flows_udp++; break;
        case PROTO_ICMP:
        case PROTO_ICMP6: t->flows_icmp++; break;
        default: t->flows_other++; break;
        }
    }
    switch (pkt->kind) {
    case FS_GEN_FLOOD: t->flood_packets++; break;
    case FS_GEN_SCAN: t->scan_packets++; break;
    case FS_GEN_ELEPHANT: t->elephant_packets++; break;
    default: break;
    }
}

int fs_gen_next(fs_gen *g, fs_gen_pkt *pkt, char *err, size_t errlen)
{
    const fs_gen_params *p = &g->p;
    for (;;) {
        if (!g->hn || g->heap[0].t >= g->end)
            return 0;
        fs_ns t = g->heap[0].t;
        uint32_t ref = g->heap[0].ref;
        if (ref == REF_ARRIVAL) {
            /* Thinning (Lewis and Shedler): candidates at the peak rate are
             * kept with probability rate(t) / peak, which leaves a Poisson
             * process of rate rate(t).                                      */
            int keep = 1;
            double l = rate_at(p, t);
            if (l < g->lambda_max)
                keep = gsl_rng_uniform(g->r) * g->lambda_max < l;
            heap_retime_top(g, t + exp_gap_ns(g->r, 1.0 / g->lambda_max));
            if (keep && new_background(g, t, err, errlen))
                return -1;
            continue;
        }
        if (ref == REF_FLOOD) {
            memset(pkt, 0, sizeof *pkt);
            flood_packet(g, t, pkt);
            fs_ns nt = window_time(p->flood_start_ns, p->flood_rate, g->flood_i);
            if (nt < p->flood_start_ns + p->flood_duration_ns)
                heap_retime_top(g, nt);
            else
                heap_pop(g);
            account(g, t, pkt);
            return 1;
        }
        if (ref == REF_SCAN) {
            memset(pkt, 0, sizeof *pkt);
            scan_packet(g, t, pkt);
            fs_ns nt = window_time(p->scan_start_ns, p->scan_rate, g->scan_i);
            if (g->scan_i < g->scan_n && nt < p->scan_start_ns + p->scan_duration_ns)
                heap_retime_top(g, nt);
            else
                heap_pop(g);
            account(g, t, pkt);
            return 1;
        }
        uint32_t ci = ref / 2;
        int d = (int)(ref % 2);
        struct conn *c = &g->conns[ci];
        struct gdir *dir = &c->d[d];
        struct pkt_fields f;
        next_fields(g, c, d, &f);
        int emit = t >= 0;
        if (emit) {
            build_frame(g, c, d, &f, pkt);
            pkt->flow_pkts = dir->n;
            pkt->seq = dir->i;
            pkt->first_written = !dir->written;
            dir->written = 1;
        }
        dir->i++;
        /* Reschedule this direction in place, or retire it. */
        fs_ns nt = dir->i < dir->n ? next_time(g, c, d, dir->i, t) : g->end;
        if (nt < g->end) {
            heap_retime_top(g, nt);
        } else {
            heap_pop(g);
            dir->active = 0;
            if (!c->d[1 - d].active)
                conn_release(g, ci);
        }
        if (emit) {
            account(g, t, pkt);
            return 1;
        }
    }
}
