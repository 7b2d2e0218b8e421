/* flowsim — every JSON document flowsim writes is valid UTF-8 (see
 * jsonutf8.h). Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include "jsonutf8.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at s (n bytes left), 0 if the
 * byte there does not begin one (RFC 3629, table 3-7 of Unicode). */
static size_t seq_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned lo = 0x80, hi = 0xbf;   /* allowed range of the second byte */
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0;   /* no overlong forms */
        else if (c == 0xed)
            hi = 0x9f;   /* no surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;   /* nothing above U+10FFFF */
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return len;
}

int fs_utf8_valid(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t l = seq_len(u + i, n - i);
        if (!l)
            return 0;
        i += l;
    }
    return 1;
}

char *fs_utf8_repair(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    char *out = malloc(3 * n + 1);   /* each byte at most becomes 3 */
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t l = seq_len(u + i, n - i);
        if (l) {
            memcpy(out + o, s + i, l);
            o += l;
            i += l;
        } else {
            memcpy(out + o, "\xef\xbf\xbd", 3);
            o += 3;
            i++;
        }
    }
    out[o] = 0;
    return out;
}

/* ---- walking a document ---------------------------------------------------------- */
typedef struct walk {
    json_object *log;   /* the "invalid_utf8" array, made at the first repair */
    char  *ptr;         /* JSON Pointer of the current node */
    size_t len, cap;
    int    n, oom;
} walk;

static int ptr_push(walk *w, const char *tok, size_t n)
{
    if (w->len + 2 * n + 2 > w->cap) {
        size_t cap = 2 * (w->len + 2 * n + 2);
        char *p = realloc(w->ptr, cap);
        if (!p)
            return -1;
        w->ptr = p;
        w->cap = cap;
    }
    w->ptr[w->len++] = '/';
    for (size_t i = 0; i < n; i++) {   /* RFC 6901: ~ as ~0, / as ~1 */
        if (tok[i] == '~' || tok[i] == '/') {
            w->ptr[w->len++] = '~';
            w->ptr[w->len++] = tok[i] == '~' ? '0' : '1';
        } else {
            w->ptr[w->len++] = tok[i];
        }
    }
    w->ptr[w->len] = 0;
    return 0;
}

static int log_repair(walk *w, const char *raw, size_t n, int member_name)
{
    if (!w->log && !(w->log = json_object_new_array()))
        return -1;
    char *hex = malloc(2 * n + 1);
    json_object *e = json_object_new_object();
    if (!hex || !e) {
        free(hex);
        json_object_put(e);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", (unsigned char)raw[i]);
    hex[2 * n] = 0;
    json_object_object_add(e, "pointer", json_object_new_string(w->len ? w->ptr : ""));
    json_object_object_add(e, "bytes_hex", json_object_new_string(hex));
    if (member_name)
        json_object_object_add(e, "member_name", json_object_new_boolean(1));
    free(hex);
    json_object_array_add(w->log, e);
    w->n++;
    return 0;
}

static void walk_node(walk *w, json_object *o);

static void walk_object(walk *w, json_object *o)
{
    /* names first: a repaired name moves its member to the end, so the
     * names are collected before any is changed */
    size_t nk = (size_t)json_object_object_length(o), k = 0;
    char **bad = calloc(nk ? nk : 1, sizeof *bad);
    if (!bad) {
        w->oom = 1;
        return;
    }
    json_object_object_foreach(o, key, val) {
        (void)val;
        if (!fs_utf8_valid(key, strlen(key)))
            bad[k++] = strdup(key);
    }
    for (size_t i = 0; i < k; i++) {
        if (!bad[i]) {
            w->oom = 1;
            continue;
        }
        char *fixed = fs_utf8_repair(bad[i], strlen(bad[i]));
        json_object *v = NULL;
        if (!fixed || !json_object_object_get_ex(o, bad[i], &v)) {
            w->oom |= !fixed;
            free(fixed);
            continue;
        }
        /* two names may repair to the same text: the later gets " (2)",
         * " (3)", ... rather than replace the earlier member */
        for (int dup = 2; json_object_object_get_ex(o, fixed, NULL); dup++) {
            size_t fl = strlen(fixed);
            char *f2 = realloc(fixed, fl + 16);
            if (!f2)
                break;
            fixed = f2;
            snprintf(fixed + fl, 16, " (%d)", dup);
            if (!json_object_object_get_ex(o, fixed, NULL))
                break;
            fixed[fl] = 0;
        }
        json_object_get(v);
        json_object_object_del(o, bad[i]);
        json_object_object_add(o, fixed, v);
        size_t mark = w->len;
        if (ptr_push(w, fixed, strlen(fixed)) || log_repair(w, bad[i], strlen(bad[i]), 1))
            w->oom = 1;
        w->len = mark;
        if (w->ptr)
            w->ptr[w->len] = 0;
        free(fixed);
    }
    for (size_t i = 0; i < k; i++)
        free(bad[i]);
    free(bad);
    json_object_object_foreach(o, key2, val2) {
        size_t mark = w->len;
        if (ptr_push(w, key2, strlen(key2))) {
            w->oom = 1;
            return;
        }
        walk_node(w, val2);
        w->len = mark;
        w->ptr[w->len] = 0;
    }
}

static void walk_node(walk *w, json_object *o)
{
    switch (json_object_get_type(o)) {
    case json_type_object:
        walk_object(w, o);
        break;
    case json_type_array:
        for (size_t i = 0, n = json_object_array_length(o); i < n; i++) {
            char idx[32];
            size_t mark = w->len;
            snprintf(idx, sizeof idx, "%zu", i);
            if (ptr_push(w, idx, strlen(idx))) {
                w->oom = 1;
                return;
            }
            walk_node(w, json_object_array_get_idx(o, i));
            w->len = mark;
            w->ptr[w->len] = 0;
        }
        break;
    case json_type_string: {
        const char *s = json_object_get_string(o);
        size_t n = (size_t)json_object_get_string_len(o);
        if (fs_utf8_valid(s, n))
            break;
        char *raw = malloc(n ? n : 1), *fixed = fs_utf8_repair(s, n);
        if (!raw || !fixed) {
            free(raw);
            free(fixed);
            w->oom = 1;
            break;
        }
        memcpy(raw, s, n);
        if (!json_object_set_string(o, fixed) || log_repair(w, raw, n, 0))
            w->oom = 1;
        free(raw);
        free(fixed);
        break;
    }
    default:
        break;
    }
}

int fs_json_utf8(json_object *doc)
{
    walk w = {0};
    walk_node(&w, doc);
    free(w.ptr);
    if (w.log) {
        if (json_object_get_type(doc) == json_type_object)
            json_object_object_add(doc, "invalid_utf8", w.log);
        else
            json_object_put(w.log);
    }
    return w.oom ? -1 : w.n;
}
