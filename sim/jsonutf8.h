/* flowsim — every JSON document flowsim writes is valid UTF-8.
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later.
 *
 * json-c writes a string's bytes as they are given, and the strings of a
 * manifest come from outside (file names, the command line, parameter
 * values): a file name with byte 0xff made manifest.json invalid JSON
 * (RFC 8259 requires UTF-8). fs_json_utf8 is called on every document
 * before it is written: each byte of a string or member name that does not
 * begin a well-formed UTF-8 sequence (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF, no truncated sequence) becomes U+FFFD.
 * Nothing is lost: when anything was replaced and the document is an
 * object, it gets a member "invalid_utf8", an array of
 *   {"pointer": JSON Pointer (RFC 6901) of the string, with the repaired
 *               member names,
 *    "bytes_hex": the original bytes in hex,
 *    "member_name": true when the name of that member was repaired rather
 *               than its value}
 * in document order. Valid documents are left exactly as they were. */
#ifndef FS_JSONUTF8_H
#define FS_JSONUTF8_H

#include <stddef.h>
#include <json-c/json.h>

/* 1 if the n bytes at s are well-formed UTF-8. */
int fs_utf8_valid(const char *s, size_t n);

/* s with every byte that does not begin a well-formed sequence replaced by
 * U+FFFD (EF BF BD), NUL-terminated, in malloc'd memory; NULL if memory is
 * short. */
char *fs_utf8_repair(const char *s, size_t n);

/* Repairs every string and member name of the document as described above.
 * Returns the number of strings repaired, -1 if memory ran short (the
 * document may then be repaired in part). */
int fs_json_utf8(json_object *doc);

#endif
