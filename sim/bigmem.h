/* flowsim — large arrays in huge pages. Copyright (C) 2026 the flowsim
 * authors. GPL-3.0-or-later.
 *
 * Arrays of FS_BIG_ARRAY bytes or more are mapped on their own, in whole
 * 2 MiB pages aligned to 2 MiB, with transparent huge pages requested, so
 * they are faulted in 2 MiB at a time instead of 4 KiB. Page faults cost
 * about 12 us each on the paravirtualized machines we measure on; the flow
 * tables and the reader's buffers were thousands of them per run. Smaller
 * arrays come from calloc/realloc. Memory from fs_arr_alloc is zero. */
#ifndef FS_BIGMEM_H
#define FS_BIGMEM_H

#include <stddef.h>

#define FS_BIG_ARRAY ((size_t)1 << 20)

/* The bytes an array of n bytes may fill in place: n when it comes from
 * malloc, its mapping's length (n rounded up to 2 MiB) when mapped. */
size_t fs_arr_room(size_t n);

/* An array of n bytes, zeroed, with room fs_arr_room(n); NULL if memory is
 * short. */
void *fs_arr_alloc(size_t n);

/* Frees an array that was given (or grown to) n bytes, or any n whose room
 * is the same. p may be NULL. */
void fs_arr_free(void *p, size_t n);

/* Grows an array of room *room from old to n bytes (n > old), keeping its
 * contents, and updates *room. A mapped array grows in place while its
 * mapping has room, otherwise by mremap (nothing copied or faulted again).
 * NULL if memory is short; the array is then unchanged. */
void *fs_arr_grow(void *p, size_t *room, size_t old, size_t n);

/* Sets glibc's malloc up for a simulation run; the command-line tool calls
 * it first. By default glibc maps each block of 128 KiB or more afresh and
 * returns free memory at the top of its heap to the kernel, so the tables
 * the evaluation frees at the end of each bin and makes again for the next
 * were faulted in again, 4 KiB at a time (on the replicated real trace of
 * make bench, 2,260 page faults per run without this, 884 with it). Here
 * blocks up to 32 MiB come from the heap, and up to 64 MiB of free heap is
 * kept for reuse. What is kept is memory the run had in use already, so the
 * peak hardly changes. Without glibc it does nothing. */
void fs_malloc_tune(void);

#endif
