/* flowsim — no file a run writes is one of its input traces, and no two
 * --export destinations are one file. Copyright (C) 2026 the flowsim
 * authors. GPL-3.0-or-later.
 *
 * Files are compared by what they are, not by how they are named: a file
 * that exists by its device and inode (stat(2) follows symbolic links, so
 * "./t.pcap", "../d/t.pcap", a link to it and a hard link are all the same
 * file); a file that does not exist yet by the device and inode of its
 * folder and its last name. Writing a trace while it is read would destroy
 * the input and give results from half-overwritten data; two exports
 * writing one file would interleave their lines. Both are refused before
 * anything is written. */
#ifndef FS_OUTPATHS_H
#define FS_OUTPATHS_H

#include <stddef.h>

typedef struct fs_outpath {
    const char *path;   /* the file to be written */
    const char *what;   /* how the command line names it, for messages */
} fs_outpath;

/* Checks outs[0..nouts) against the inputs, and the first nexcl of them
 * (the --export files) against each other and all the others. Returns 0, or
 * -1 with one line in err naming both. */
int fs_outpaths_check(const char *const *inputs, int ninputs, const fs_outpath *outs, int nouts,
                      int nexcl, char *err, size_t errlen);

#endif
