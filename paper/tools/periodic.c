/* flowsim paper — writes a pcap of strictly periodic traffic, for the
 * experiment on systematic against random 1-in-N packet sampling.
 *
 *   periodic -o OUT.pcap -n N [-r PPS] [-d SECONDS] [-b BIG] [-s SMALL] [-x SEED]
 *
 * Packets are evenly spaced at PPS packets per second for SECONDS seconds.
 * Packet i belongs to slot i mod N: slot 0 is one UDP flow of BIG-byte
 * packets (10.0.0.1:5004 -> 10.0.1.1:5004, a stream whose large packets
 * come once per period), slot j = 1..N-1 is UDP flow j of SMALL-byte packets
 * (10.0.0.(j+1):40000+j -> 10.0.1.1:6000+j). The sequence of sizes therefore
 * repeats with period N exactly. With -x SEED the N slots of every period
 * come in a random order instead (a fresh permutation per period, xorshift64*
 * seeded with SEED): the same flows, packets and bytes, but no period. Byte counts are IP total lengths; frames are captured up to the UDP
 * header (42 bytes), as flowsim's generator does. Timestamps start at
 * 2024-01-01 00:00:00 UTC, microsecond pcap.
 *
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t rng_state;
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

static void put16(unsigned char *p, unsigned v) { p[0] = (unsigned char)(v >> 8); p[1] = (unsigned char)v; }
static void le32(FILE *f, uint32_t v) { unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24)}; fwrite(b, 1, 4, f); }
static void le16(FILE *f, unsigned v) { unsigned char b[2] = {(unsigned char)v, (unsigned char)(v >> 8)}; fwrite(b, 1, 2, f); }

static void write_packet(FILE *f, double t, unsigned slot, unsigned big, unsigned small_size, unsigned id)
{
    unsigned char fr[42];
    unsigned size = slot == 0 ? big : small_size;
    memset(fr, 0, sizeof fr);
    memcpy(fr, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x08\x00", 14);
    unsigned char *ip = fr + 14;
    ip[0] = 0x45;
    put16(ip + 2, size);
    put16(ip + 4, id & 0xffff);
    put16(ip + 6, 0x4000);
    ip[8] = 64;
    ip[9] = 17;
    ip[12] = 10; ip[13] = 0; ip[14] = 0; ip[15] = (unsigned char)(slot + 1);
    ip[16] = 10; ip[17] = 0; ip[18] = 1; ip[19] = 1;
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2)
        sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    put16(ip + 10, ~sum & 0xffff);
    unsigned char *udp = ip + 20;
    put16(udp, slot == 0 ? 5004 : 40000 + slot);
    put16(udp + 2, slot == 0 ? 5004 : 6000 + slot);
    put16(udp + 4, size - 20);
    uint64_t us = (uint64_t)(t * 1e6 + 0.5);
    le32(f, (uint32_t)(1704067200u + us / 1000000));
    le32(f, (uint32_t)(us % 1000000));
    le32(f, sizeof fr);
    le32(f, 14 + size);
    fwrite(fr, 1, sizeof fr, f);
}

int main(int argc, char **argv)
{
    const char *out = NULL;
    unsigned n = 0, big = 1500, small_size = 64;
    double pps = 2000, dur = 60;
    uint64_t seed = 0;
    int c;
    while ((c = getopt(argc, argv, "o:n:r:d:b:s:x:")) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'n': n = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'r': pps = strtod(optarg, NULL); break;
        case 'd': dur = strtod(optarg, NULL); break;
        case 'b': big = (unsigned)strtoul(optarg, NULL, 10); break;
        case 's': small_size = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'x': seed = strtoull(optarg, NULL, 10); if (!seed) seed = 1; break;
        default: goto usage;
        }
    }
    if (!out || n < 2 || n > 250 || pps <= 0 || dur <= 0 || big < 28 || big > 65535 || small_size < 28 || small_size > 65535)
        goto usage;
    FILE *f = fopen(out, "wb");
    if (!f) { perror(out); return 2; }
    le32(f, 0xa1b2c3d4u); le16(f, 2); le16(f, 4); le32(f, 0); le32(f, 0); le32(f, 65535); le32(f, 1);
    uint64_t total = (uint64_t)(pps * dur);
    total -= total % n;                       /* whole periods only */
    unsigned *perm = malloc(n * sizeof *perm);
    if (!perm) return 2;
    rng_state = seed;
    for (uint64_t i = 0; i < total; i += n) {
        for (unsigned j = 0; j < n; j++) perm[j] = j;
        if (seed)                             /* shuffle each period: same multiset, no period */
            for (unsigned j = n - 1; j > 0; j--) {
                unsigned k = (unsigned)(rng() % (j + 1));
                unsigned tmp = perm[j]; perm[j] = perm[k]; perm[k] = tmp;
            }
        for (unsigned j = 0; j < n; j++)
            write_packet(f, (double)(i + j) / pps, perm[j], big, small_size, (unsigned)(i + j));
    }
    free(perm);
    if (fclose(f)) { perror(out); return 2; }
    return 0;
usage:
    fprintf(stderr, "usage: periodic -o OUT.pcap -n N(2..250) [-r PPS] [-d SECONDS] [-b BIG] [-s SMALL] [-x SEED]\n");
    return 1;
}
