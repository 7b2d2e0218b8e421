/* flowsim — JSON documents are written as valid UTF-8 (sim/jsonutf8.h):
 * the UTF-8 check against the well-formed sequences of RFC 3629 (overlong
 * forms, surrogates, code points above U+10FFFF, truncated and stray
 * continuation bytes are not), the repair (one U+FFFD per bad byte), and the
 * walk over a document: repaired strings and member names, the
 * "invalid_utf8" record with RFC 6901 pointers (~ and / escaped), names that
 * repair to the same text kept apart, valid documents left byte for byte.
 * Copyright (C) 2026 the flowsim authors. GPL-3.0-or-later. */
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "jsonutf8.h"
#include "tf.h"

static int valid(const char *s)
{
    return fs_utf8_valid(s, strlen(s));
}

TEST(jsonutf8_valid_sequences)
{
    CHECK(valid(""));
    CHECK(valid("plain ascii"));
    CHECK(valid("caf\xc3\xa9"));                 /* U+00E9 */
    CHECK(valid("\xe2\x82\xac"));                /* U+20AC */
    CHECK(valid("\xed\x9f\xbf"));                /* U+D7FF, below the surrogates */
    CHECK(valid("\xf0\x90\x80\x80"));            /* U+10000 */
    CHECK(valid("\xf4\x8f\xbf\xbf"));            /* U+10FFFF */
    CHECK(!valid("\xff"));
    CHECK(!valid("\x80"));                       /* stray continuation */
    CHECK(!valid("\xc0\xaf"));                   /* overlong '/' */
    CHECK(!valid("\xc1\xbf"));
    CHECK(!valid("\xe0\x80\xaf"));               /* overlong, 3 bytes */
    CHECK(!valid("\xf0\x80\x80\xaf"));           /* overlong, 4 bytes */
    CHECK(!valid("\xed\xa0\x80"));               /* U+D800, a surrogate */
    CHECK(!valid("\xf4\x90\x80\x80"));           /* above U+10FFFF */
    CHECK(!valid("\xf5\x80\x80\x80"));
    CHECK(!valid("\xe2\x82"));                   /* truncated */
    CHECK(!valid("a\xc3"));
    CHECK(!valid("\xc3\x28"));                   /* bad continuation */
    CHECK(fs_utf8_valid("a\0b", 3));             /* NUL is a character */
}

TEST(jsonutf8_repair)
{
    char *r = fs_utf8_repair("tr\xff" "ce", 5);
    CHECK(r && !strcmp(r, "tr\xef\xbf\xbd" "ce"));
    free(r);
    /* a truncated sequence: each of its bytes is replaced, the rest kept */
    r = fs_utf8_repair("\xe2\x82" "x\xc3\xa9", 5);
    CHECK(r && !strcmp(r, "\xef\xbf\xbd\xef\xbf\xbd" "x\xc3\xa9"));
    free(r);
    r = fs_utf8_repair("ok", 2);
    CHECK(r && !strcmp(r, "ok"));
    free(r);
}

static const char *entry(json_object *log, size_t i, const char *k)
{
    json_object *e = json_object_array_get_idx(log, i), *v;
    if (!e || !json_object_object_get_ex(e, k, &v))
        return "";
    return json_object_get_string(v);
}

TEST(jsonutf8_document)
{
    json_object *d = json_object_new_object();
    json_object *arr = json_object_new_array();
    json_object_array_add(arr, json_object_new_string("fine"));
    json_object_array_add(arr, json_object_new_string("a\xfe"));
    json_object_object_add(d, "command_line", arr);
    json_object *t = json_object_new_object();
    json_object_object_add(t, "p/a~th", json_object_new_string("x\xff"));
    json_object_object_add(d, "t", t);
    json_object_object_add(d, "n\xff", json_object_new_int(1));
    json_object_object_add(d, "n\xfe", json_object_new_int(2));
    CHECK_EQ_I(fs_json_utf8(d), 4);
    json_object *log, *v;
    CHECK(json_object_object_get_ex(d, "invalid_utf8", &log));
    CHECK_EQ_I(json_object_array_length(log), 4);
    /* names first (they move their member), in document order */
    CHECK(!strcmp(entry(log, 0, "pointer"), "/n\xef\xbf\xbd"));
    CHECK(!strcmp(entry(log, 0, "bytes_hex"), "6eff"));
    CHECK(!strcmp(entry(log, 0, "member_name"), "true"));
    CHECK(!strcmp(entry(log, 1, "pointer"), "/n\xef\xbf\xbd (2)"));
    CHECK(!strcmp(entry(log, 1, "bytes_hex"), "6efe"));
    CHECK(!strcmp(entry(log, 2, "pointer"), "/command_line/1"));
    CHECK(!strcmp(entry(log, 2, "bytes_hex"), "61fe"));
    CHECK(!strcmp(entry(log, 2, "member_name"), ""));
    CHECK(!strcmp(entry(log, 3, "pointer"), "/t/p~1a~0th"));
    CHECK(!strcmp(entry(log, 3, "bytes_hex"), "78ff"));
    CHECK(json_object_object_get_ex(d, "n\xef\xbf\xbd", &v) && json_object_get_int(v) == 1);
    CHECK(json_object_object_get_ex(d, "n\xef\xbf\xbd (2)", &v) && json_object_get_int(v) == 2);
    CHECK(!strcmp(json_object_get_string(json_object_array_get_idx(arr, 1)), "a\xef\xbf\xbd"));
    const char *out = json_object_to_json_string(d);
    CHECK(fs_utf8_valid(out, strlen(out)));
    json_object_put(d);
}

TEST(jsonutf8_valid_document_unchanged)
{
    json_object *d = json_object_new_object();
    json_object_object_add(d, "path", json_object_new_string("caf\xc3\xa9.pcap"));
    json_object *a = json_object_new_array();
    json_object_array_add(a, json_object_new_string("\xf0\x9f\x98\x80"));
    json_object_array_add(a, json_object_new_double(0.5));
    json_object_object_add(d, "a", a);
    char *before = strdup(json_object_to_json_string(d));
    CHECK_EQ_I(fs_json_utf8(d), 0);
    CHECK(before && !strcmp(before, json_object_to_json_string(d)));
    free(before);
    json_object_put(d);
}
