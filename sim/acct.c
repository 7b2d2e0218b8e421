/* flowsim — resource accounting (see acct.h). Copyright (C) 2026 the flowsim
 * authors. GPL-3.0-or-later. */
#include "acct.h"

#include <string.h>

static int64_t sec_of(fs_ns t)
{
    return t >= 0 ? t / FS_NS_PER_S : -((-t + FS_NS_PER_S - 1) / FS_NS_PER_S);
}

void fs_acct_init(fs_acct *a, fs_acct_sec_fn fn, void *ctx)
{
    memset(a, 0, sizeof *a);
    a->sec_fn = fn;
    a->sec_ctx = ctx;
}

static void start(fs_acct *a, fs_ns t)
{
    a->started = 1;
    a->t_start = a->t_last = t;
    a->sec.index = sec_of(t);
}

static void close_second(fs_acct *a)
{
    if (a->sec.exp_bytes > a->peak_sec_bytes)
        a->peak_sec_bytes = a->sec.exp_bytes;
    if (a->sec.exp_records > a->peak_sec_records)
        a->peak_sec_records = a->sec.exp_records;
    if (a->sec_fn)
        a->sec_fn(a->sec_ctx, &a->sec);
}

/* Integrates live entries from t_last to t, closing every second crossed.
 * A second gets a time-series row if something happened in it (a change of
 * live entries or a datagram), and so does the first quiet second after
 * one, to show the level that then holds; the quiet seconds after that are
 * integrated in one step and get no row, so a gap of years between two
 * packets costs nothing (a plot of the series steps across the gap). */
void fs_acct_advance(fs_acct *a, fs_ns t)
{
    if (!a->started) {
        start(a, t);
        return;
    }
    if (t <= a->t_last)
        return;
    for (;;) {
        fs_ns sec_end = (a->sec.index + 1) * FS_NS_PER_S;
        fs_ns upto = t < sec_end ? t : sec_end;
        fs_ns d = upto - a->t_last;
        a->area += (double)a->live * (double)d;
        a->sec.mem_area += (double)a->live * (double)d;
        a->sec.span += d;
        a->t_last = upto;
        if (t < sec_end)
            break;
        int quiet = !a->sec_active;
        if (!quiet || !a->prev_quiet)
            close_second(a);
        int64_t next = a->sec.index + 1, target = sec_of(t);
        if (target > next + 1 && (quiet && a->prev_quiet)) {
            /* this second was quiet and written as no row: so are all
             * seconds up to t's */
            a->area += (double)a->live * (double)(target * FS_NS_PER_S - a->t_last);
            a->t_last = target * FS_NS_PER_S;
            next = target;
        }
        a->prev_quiet = quiet;
        a->sec_active = 0;
        memset(&a->sec, 0, sizeof a->sec);
        a->sec.index = next;
        a->sec.mem_max = a->live;
    }
}

void fs_acct_mem(fs_acct *a, fs_ns t, int64_t live)
{
    fs_acct_advance(a, t);
    a->sec_active = 1;
    a->live = live;
    if (live > a->peak)
        a->peak = live;
    if (live > a->sec.mem_max)
        a->sec.mem_max = live;
}

void fs_acct_entry_extra(fs_acct *a, double bytes)
{
    a->extra_bytes = bytes;
}

void fs_acct_export(fs_acct *a, fs_ns t, uint64_t records, uint64_t bytes)
{
    fs_acct_advance(a, t);
    a->sec_active = 1;
    a->exp_records += records;
    a->exp_datagrams++;
    a->exp_bytes += bytes;
    a->sec.exp_records += records;
    a->sec.exp_datagrams++;
    a->sec.exp_bytes += bytes;
}

void fs_acct_finish(fs_acct *a, fs_ns t_end)
{
    if (!a->started)
        return;
    fs_acct_advance(a, t_end);
    close_second(a);
}

double fs_acct_mean_entries(const fs_acct *a)
{
    fs_ns span = a->t_last - a->t_start;
    return span > 0 ? a->area / (double)span : (double)a->live;
}
