/* flowsim bench — the ceiling for pcap ingest: a raw libpcap read loop that
 * does nothing with the packets (pcap_open_offline + pcap_next_ex, counting
 * frames and adding up their lengths so the loop cannot be optimised away).
 * Prints "frames BYTES_CAPTURED BYTES_WIRE" on one line.
 *
 *   pcap_loop FILE...
 *
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <pcap/pcap.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: pcap_loop FILE...\n");
        return 1;
    }
    uint64_t frames = 0, caplen = 0, wirelen = 0;
    for (int i = 1; i < argc; i++) {
        char err[PCAP_ERRBUF_SIZE];
        pcap_t *p = pcap_open_offline(argv[i], err);
        if (!p) {
            fprintf(stderr, "pcap_loop: %s: %s\n", argv[i], err);
            return 2;
        }
        struct pcap_pkthdr *h;
        const u_char *data;
        int rc;
        while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
            frames++;
            caplen += h->caplen;
            wirelen += h->len;
        }
        if (rc == PCAP_ERROR) {
            fprintf(stderr, "pcap_loop: %s: %s\n", argv[i], pcap_geterr(p));
            pcap_close(p);
            return 2;
        }
        pcap_close(p);
    }
    printf("frames %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", frames, caplen, wirelen);
    return 0;
}
