/* The JSON reader: tokenizes one document (one JSONL line, one batch object) in a single pass
 * that also validates it strictly (RFC 8259 grammar, UTF-8), and answers lookups over the
 * tokens.
 * A json_doc borrows the text it parsed: the text must outlive every lookup. Token indexes
 * are ints: 0 is the root, -1 means "absent". */
#ifndef BT_JSON_JSON_H
#define BT_JSON_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/buf.h"
#include "util/str.h"

typedef enum json_type {
    JSON_NONE = 0,  /* absent token (index -1) */
    JSON_OBJECT,
    JSON_ARRAY,
    JSON_STRING,
    JSON_NUMBER,
    JSON_TRUE,
    JSON_FALSE,
    JSON_NULL,
} json_type;

struct json_token; /* private */

typedef struct json_doc {
    const char *text;          /* borrowed document text */
    size_t len;                /* its length */
    struct json_token *toks;   /* tokens in document order; owned, reused across parses */
    int tok_count;             /* tokens in use */
    unsigned tok_cap;          /* tokens allocated */
} json_doc;

#define JSON_DOC_INIT {NULL, 0, NULL, 0, 0}

/* Parse text[0..len) as one JSON value (surrounding whitespace allowed). On failure returns -1
 * and writes a short reason ("invalid JSON at byte 17: ...", "invalid UTF-8 at byte 4").
 * Strict: grammar per RFC 8259, valid UTF-8, no trailing data; at most 256 levels of nesting
 * and 8,388,608 values (token memory stays bounded on hostile input). The doc keeps its token
 * buffer between calls, so parsing many lines allocates only when a line is larger. */
int json_parse(json_doc *doc, const char *text, size_t len, char *reason);
/* Release the token buffer. */
void json_doc_free(json_doc *doc);

/* Type of token tok (JSON_NONE for -1). */
json_type json_type_of(const json_doc *doc, int tok);
/* Value of key in object obj, or -1 (absent, or obj is not an object). With duplicate keys,
 * the last one wins (as JavaScript's JSON.parse does). */
int json_get(const json_doc *doc, int obj, const char *key);
/* Number of elements of an array / members of an object; 0 for anything else. */
int json_count(const json_doc *doc, int tok);
/* The first element of an array (or the first key of an object), -1 if empty. */
int json_first(const json_doc *doc, int tok);
/* The token after tok and all its descendants: the next sibling inside a container
 * (for an object member, call it on the key to get the value, on the value to get the
 * next key). May return tok_count when tok was last. */
int json_next(const json_doc *doc, int tok);
/* The raw text of a value: for a string, including its quotes. */
bt_str json_raw(const json_doc *doc, int tok);
/* Unescape a string token into the arena (NUL-terminated). A lone surrogate escape becomes
 * U+FFFD. Returns -1 when tok is not a string. Strings with no escapes are copied as is. */
int json_string(const json_doc *doc, int tok, arena_t *a, bt_str *out);
/* True when tok is a string equal (after unescaping) to s. */
bool json_string_eq(const json_doc *doc, int tok, const char *s);
/* Strict integer: JSON integer syntax only (no fraction, no exponent), in int64 range.
 * Returns -1 for non-numbers, fractions and overflow (never clamps). */
int json_int64(const json_doc *doc, int tok, int64_t *out);
/* Any JSON number as a double. Returns -1 for non-numbers. */
int json_double(const json_doc *doc, int tok, double *out);
/* true/false. Returns -1 for anything else. */
int json_bool(const json_doc *doc, int tok, bool *out);

/* One key of a json_get_fields lookup: its bytes and their count. JSON_KEY("model") makes
 * one from a string literal. */
typedef struct json_key {
    const char *name;  /* the key, unescaped (NUL-terminated or not) */
    size_t len;        /* its length in bytes */
} json_key;

#define JSON_KEY(literal) {(literal), sizeof(literal) - 1}

/* Look up key_count distinct keys of object obj in one pass over its members: values[i] is
 * what json_get(doc, obj, keys[i].name) would answer (the value, -1 when absent or obj is
 * not an object; the last duplicate wins), for the cost of one scan instead of one per key. */
void json_get_fields(const json_doc *doc, int obj, const json_key *keys, int key_count,
                     int *values);
/* Like json_string, without a copy when it can: a string with no escapes is borrowed from
 * the document's text (not NUL-terminated; valid while the text is), one with escapes is
 * unescaped into the arena. */
int json_string_borrowed(const json_doc *doc, int tok, arena_t *a, bt_str *out);
/* True when string token tok's own text, quotes included, is exactly what the JSON writer
 * writes for its value (json_escape_string): every escape in it is one the writer uses
 * (\" \\ \b \f \n \r \t, and \u00xx in lowercase for the other control characters);
 * none is \/ or another \uXXXX. Then *literal is that text, borrowed
 * from the document, and a builder of JSON may copy it instead of escaping the value. */
bool json_string_literal(const json_doc *doc, int tok, bt_str *literal);

/* Convenience: json_get then json_string; -1 when absent or not a string. */
int json_get_string(const json_doc *doc, int obj, const char *key, arena_t *a, bt_str *out);
/* Convenience: json_get then json_int64; -1 when absent or not an integer. */
int json_get_int64(const json_doc *doc, int obj, const char *key, int64_t *out);

/* The string scans of the tokenizer: NARROW is swar.h's (sixteen bytes a step with SSE2,
 * eight without), AVX2 goes 32 bytes a step through long strings (x86-64 processors that
 * have it). The widest is chosen before main runs; both find the same tokens. */
typedef enum json_scan_impl {
    JSON_SCAN_NARROW,
    JSON_SCAN_AVX2,
} json_scan_impl;

/* The widest string scan this build and processor support. */
json_scan_impl json_scan_impl_widest(void);
/* Make json_parse scan strings with impl (for tests, which compare both; not thread-safe:
 * call it before any thread parses). False, and nothing changed, when it is not there. */
bool json_scan_impl_set(json_scan_impl impl);

/* True when bytes[0..len) are valid UTF-8 (no overlongs, no surrogates, max U+10FFFF).
 * On failure *bad_offset is the offset of the first invalid byte. */
bool utf8_valid(const char *bytes, size_t len, size_t *bad_offset);

#endif
