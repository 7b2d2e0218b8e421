/* flowsim — export destinations: UDP to a collector (paced), a file (RFC
 * 5655 style for IPFIX: the messages back to back; v5/v9 likewise), stdout;
 * JSON lines and CSV writers (see wire.h).
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include "wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

const char *const fs_out_fmt_names[] = {"v5", "v9", "ipfix", "jsonl", "csv", NULL};

/* UDP pacing: at most this many datagrams per millisecond of wall time, so
 * a collector on loopback keeps up (nfcapd lost nothing at this rate). */
#define UDP_BURST 16

int fs_wire_dest_parse(const char *spec, int *fmt, int *dest, char *target, size_t tlen,
                       char *err, size_t errlen)
{
    const char *colon = strchr(spec, ':');
    if (!colon) {
        snprintf(err, errlen, "--export '%s': expected FORMAT:DEST (FORMAT v5, v9, ipfix, "
                 "jsonl, csv; DEST udp://HOST:PORT, file:PATH or -)", spec);
        return -1;
    }
    size_t fl = (size_t)(colon - spec);
    *fmt = -1;
    for (int i = 0; fs_out_fmt_names[i]; i++)
        if (strlen(fs_out_fmt_names[i]) == fl && !strncmp(spec, fs_out_fmt_names[i], fl))
            *fmt = i;
    if (*fmt < 0) {
        snprintf(err, errlen, "--export '%s': unknown format '%.*s' (known: v5 v9 ipfix jsonl "
                 "csv)", spec, (int)fl, spec);
        return -1;
    }
    const char *d = colon + 1;
    if (!strcmp(d, "-")) {
        *dest = FS_DEST_STDOUT;
        snprintf(target, tlen, "-");
        return 0;
    }
    if (!strncmp(d, "file:", 5)) {
        if (!d[5]) {
            snprintf(err, errlen, "--export '%s': file: needs a path", spec);
            return -1;
        }
        *dest = FS_DEST_FILE;
        snprintf(target, tlen, "%s", d + 5);
        return 0;
    }
    if (!strncmp(d, "udp://", 6)) {
        const char *h = d + 6, *port;
        if (*h == '[') {
            const char *e = strchr(h, ']');
            if (!e || e[1] != ':') {
                snprintf(err, errlen, "--export '%s': expected udp://[IPv6]:PORT", spec);
                return -1;
            }
            port = e + 2;
        } else {
            const char *c = strrchr(h, ':');
            if (!c || c == h || memchr(h, ':', (size_t)(c - h))) {
                snprintf(err, errlen, "--export '%s': expected udp://HOST:PORT (IPv6 in "
                         "brackets: udp://[::1]:2055)", spec);
                return -1;
            }
            port = c + 1;
        }
        char *end;
        long pn = strtol(port, &end, 10);
        if (!*port || *end || pn < 1 || pn > 65535) {
            snprintf(err, errlen, "--export '%s': bad UDP port '%s' (1 to 65535)", spec, port);
            return -1;
        }
        if (*fmt >= FS_EXP__COUNT) {
            snprintf(err, errlen, "--export '%s': %s goes to a file or stdout, not UDP", spec,
                     fs_out_fmt_names[*fmt]);
            return -1;
        }
        *dest = FS_DEST_UDP;
        snprintf(target, tlen, "%s", h);
        return 0;
    }
    snprintf(err, errlen, "--export '%s': unknown destination '%s' (udp://HOST:PORT, "
             "file:PATH or -)", spec, d);
    return -1;
}

int fs_wire_sink_open(fs_wire_sink *s, const char *spec, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
    snprintf(s->spec, sizeof s->spec, "%s", spec);
    char target[4096];
    if (fs_wire_dest_parse(spec, &s->fmt, &s->dest, target, sizeof target, err, errlen))
        return -1;
    if (s->dest == FS_DEST_STDOUT) {
        s->f = stdout;
    } else if (s->dest == FS_DEST_FILE) {
        s->f = fopen(target, "wb");
        if (!s->f) {
            snprintf(err, errlen, "--export '%s': %s: %s", spec, target, strerror(errno));
            return -1;
        }
    } else {
        char host[300];
        const char *port;
        if (target[0] == '[') {
            char *e = strchr(target, ']');
            snprintf(host, sizeof host, "%.*s", (int)(e - target - 1), target + 1);
            port = e + 2;
        } else {
            char *c = strrchr(target, ':');
            snprintf(host, sizeof host, "%.*s", (int)(c - target), target);
            port = c + 1;
        }
        struct addrinfo hints, *ai = NULL;
        memset(&hints, 0, sizeof hints);
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_DGRAM;
        hints.ai_flags = AI_NUMERICSERV;
        int g = getaddrinfo(host, port, &hints, &ai);
        if (g || !ai) {
            snprintf(err, errlen, "--export '%s': %s: %s", spec, host, gai_strerror(g));
            return -1;
        }
        memcpy(&s->sa, ai->ai_addr, ai->ai_addrlen);
        s->salen = ai->ai_addrlen;
        s->fd = socket(ai->ai_family, SOCK_DGRAM, 0);
        freeaddrinfo(ai);
        if (s->fd < 0) {
            snprintf(err, errlen, "--export '%s': socket: %s", spec, strerror(errno));
            return -1;
        }
        int sz = 4 << 20;
        setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    }
    if (s->fmt == FS_OUT_CSV)
        fs_wire_csv_header(s);
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

void fs_wire_sink_write(fs_wire_sink *s, const void *buf, size_t n)
{
    if (s->err[0])
        return;
    s->writes++;
    s->bytes += n;
    if (s->dest != FS_DEST_UDP) {
        if (fwrite(buf, 1, n, s->f) != n)
            snprintf(s->err, sizeof s->err, "--export '%s': write failed: %s", s->spec,
                     strerror(errno));
        return;
    }
    int64_t m = now_ms();
    if (m != s->burst_ms) {
        s->burst_ms = m;
        s->burst = 0;
    }
    if (s->burst >= UDP_BURST) {
        sleep_ms(1);
        s->burst_ms = now_ms();
        s->burst = 0;
    }
    s->burst++;
    for (int tries = 0;; tries++) {
        ssize_t w = sendto(s->fd, buf, n, 0, (const struct sockaddr *)&s->sa, s->salen);
        if (w == (ssize_t)n)
            return;
        if (w < 0 && (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) && tries < 1000) {
            sleep_ms(1);
            continue;
        }
        snprintf(s->err, sizeof s->err, "--export '%s': sendto: %s", s->spec,
                 w < 0 ? strerror(errno) : "short send");
        return;
    }
}

int fs_wire_sink_close(fs_wire_sink *s, char *err, size_t errlen)
{
    if (s->f) {
        if (s->f == stdout) {
            if (fflush(stdout) && !s->err[0])
                snprintf(s->err, sizeof s->err, "--export '%s': write failed: %s", s->spec,
                         strerror(errno));
        } else if (fclose(s->f) && !s->err[0]) {
            snprintf(s->err, sizeof s->err, "--export '%s': write failed: %s", s->spec,
                     strerror(errno));
        }
        s->f = NULL;
    }
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
    if (s->err[0]) {
        snprintf(err, errlen, "%s", s->err);
        return -1;
    }
    return 0;
}

/* ---- JSON lines and CSV ------------------------------------------------------------- */
static void addr_text(const fs_key *k, int dst, char *buf, size_t n)
{
    const uint8_t *a = dst ? k->dst : k->src;
    if (k->flags & FS_KEY_V6)
        inet_ntop(AF_INET6, a, buf, (socklen_t)n);
    else
        inet_ntop(AF_INET, a + 12, buf, (socklen_t)n);
}

static const char *reason_of(const fs_record *r)
{
    return fs_reason_name[r->reason < FS_REASON__COUNT ? r->reason : 0];
}

void fs_wire_csv_header(fs_wire_sink *s)
{
    static const char h[] = "exported,first,last,src,dst,proto,sport,dport,tos,vlan,packets,"
                            "bytes,syn_packets,tcp_flags,reason,q_pkt,p_slice,p_end,weight,"
                            "bin_id,first_pkts,n_bins\n";
    fs_wire_sink_write(s, h, sizeof h - 1);
    s->writes = 0;
}

/* A number as JSON: non-finite values are null. */
static int jnum(char *b, size_t n, double v)
{
    return isfinite(v) ? snprintf(b, n, "%.17g", v) : snprintf(b, n, "null");
}

void fs_wire_line(fs_wire_sink *s, const fs_record *r)
{
    char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
    addr_text(&r->key, 0, src, sizeof src);
    addr_text(&r->key, 1, dst, sizeof dst);
    char line[4096];
    int n;
#define T(x) (long long)((x) / FS_NS_PER_S), (long long)((x) % FS_NS_PER_S)
    if (s->fmt == FS_OUT_CSV) {
        n = snprintf(line, sizeof line,
                     "%lld.%09lld,%lld.%09lld,%lld.%09lld,%s,%s,%u,%u,%u,%u,%u,%llu,%.17g,%u,%u,"
                     "%s,%.17g,%.17g,%.17g,%.17g,%lld,%u,%u\n",
                     T(r->exported), T(r->first), T(r->last), src, dst, r->key.proto,
                     r->key.sport, r->key.dport, r->key.tos, r->key.vlan,
                     (unsigned long long)r->pkts, r->bytes, r->syn_pkts, r->tcp_flags,
                     reason_of(r), r->q_pkt, r->p_slice, r->p_end, r->weight,
                     (long long)r->bin_id, r->first_pkts, (unsigned)r->n_bins);
        fs_wire_sink_write(s, line, (size_t)n);
        return;
    }
    char nb[5][32];
    jnum(nb[0], sizeof nb[0], r->bytes);
    jnum(nb[1], sizeof nb[1], r->q_pkt);
    jnum(nb[2], sizeof nb[2], r->p_slice);
    jnum(nb[3], sizeof nb[3], r->p_end);
    jnum(nb[4], sizeof nb[4], r->weight);
    n = snprintf(line, sizeof line,
                 "{\"exported\":%lld.%09lld,\"first\":%lld.%09lld,\"last\":%lld.%09lld,"
                 "\"src\":\"%s\",\"dst\":\"%s\",\"proto\":%u,\"sport\":%u,\"dport\":%u,"
                 "\"tos\":%u,\"vlan\":%u,\"packets\":%llu,\"bytes\":%s,\"syn_packets\":%u,"
                 "\"tcp_flags\":%u,\"reason\":\"%s\",\"q_pkt\":%s,\"p_slice\":%s,\"p_end\":%s,"
                 "\"weight\":%s,\"bin_id\":%lld,\"first_pkts\":%u,\"n_bins\":%u",
                 T(r->exported), T(r->first), T(r->last), src, dst, r->key.proto, r->key.sport,
                 r->key.dport, r->key.tos, r->key.vlan, (unsigned long long)r->pkts, nb[0],
                 r->syn_pkts, r->tcp_flags, reason_of(r), nb[1], nb[2], nb[3], nb[4],
                 (long long)r->bin_id, r->first_pkts, (unsigned)r->n_bins);
#undef T
    if (n < 0 || (size_t)n >= sizeof line - 2)
        n = (int)sizeof line - 3;
    /* Flow Slices' per-bin counter pairs, when the record has them */
    if (r->n_bins > 0 && r->bin_pkts && r->bin_bytes) {
        fs_wire_sink_write(s, line, (size_t)n);
        s->writes--;
        fs_wire_sink_write(s, ",\"bins\":[", 9);
        s->writes--;
        for (uint32_t i = 0; i < r->n_bins; i++) {
            char num[32];
            jnum(num, sizeof num, r->bin_bytes[i]);
            n = snprintf(line, sizeof line, "%s[%u,%s]", i ? "," : "", r->bin_pkts[i], num);
            fs_wire_sink_write(s, line, (size_t)n);
            s->writes--;
        }
        fs_wire_sink_write(s, "]}\n", 3);
        return;
    }
    line[n++] = '}';
    line[n++] = '\n';
    fs_wire_sink_write(s, line, (size_t)n);
}
