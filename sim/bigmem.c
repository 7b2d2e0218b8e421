/* flowsim — large arrays in huge pages (see bigmem.h). Copyright (C) 2026
 * the flowsim authors. GPL-3.0-or-later. */
#include "bigmem.h"

#include <stdint.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)

static size_t map_len(size_t n)
{
    return (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
}

size_t fs_arr_room(size_t n)
{
    return n < FS_BIG_ARRAY ? n : map_len(n);
}

void *fs_arr_alloc(size_t n)
{
    if (n < FS_BIG_ARRAY)
        return calloc(1, n);
    size_t len = map_len(n);
    if (len < n || len + HUGE_PAGE < len)
        return NULL;
    /* one page more than needed, then the unaligned head and tail go back */
    char *p = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    size_t head = (HUGE_PAGE - (size_t)((uintptr_t)p & (HUGE_PAGE - 1))) & (HUGE_PAGE - 1);
    if (head)
        munmap(p, head);
    if (HUGE_PAGE - head)
        munmap(p + head + len, HUGE_PAGE - head);
    p += head;
#ifdef MADV_HUGEPAGE
    madvise(p, len, MADV_HUGEPAGE);  /* a hint: without it, plain pages */
#endif
    return p;
}

void fs_arr_free(void *p, size_t n)
{
    if (!p)
        return;
    if (n < FS_BIG_ARRAY)
        free(p);
    else
        munmap(p, map_len(n));
}

void *fs_arr_grow(void *p, size_t *room, size_t old, size_t n)
{
    if (n <= *room)
        return p;
    void *q;
    if (n < FS_BIG_ARRAY) {
        q = realloc(p, n);
    } else if (*room >= FS_BIG_ARRAY) {
        q = mremap(p, *room, map_len(n), MREMAP_MAYMOVE);
        if (q == MAP_FAILED)
            return NULL;
#ifdef MADV_HUGEPAGE
        madvise(q, map_len(n), MADV_HUGEPAGE);
#endif
    } else {
        q = fs_arr_alloc(n);
        if (q) {
            memcpy(q, p, old);
            free(p);
        }
    }
    if (q)
        *room = fs_arr_room(n);
    return q;
}

void fs_malloc_tune(void)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 32 << 20);  /* glibc's largest */
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
}
