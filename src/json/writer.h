/* The JSON writer: appends compact JSON to a buf_t, placing commas itself. Strings are
 * escaped per RFC 8259 (\b \f \n \r \t short, other control characters as \u00xx, '"'
 * and '\\' escaped; valid UTF-8 passes through; invalid UTF-8 bytes become U+FFFD so the
 * output is always valid JSON).
 * Nesting deeper than JW_MAX_DEPTH aborts (the writer only writes our own structures). */
#ifndef BT_JSON_WRITER_H
#define BT_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/str.h"

#define JW_MAX_DEPTH 64

typedef struct jw {
    buf_t *out;                     /* borrowed output buffer */
    int depth;                      /* open containers */
    bool first[JW_MAX_DEPTH + 1];   /* no element written yet at this depth */
    bool after_key;                 /* a key was written; the value follows without comma */
} jw_t;

/* Start writing into out (appends; does not clear it). */
void jw_init(jw_t *w, buf_t *out);
void jw_object_open(jw_t *w);
void jw_object_close(jw_t *w);
void jw_array_open(jw_t *w);
void jw_array_close(jw_t *w);
/* An object key (escaped). */
void jw_key_str(jw_t *w, bt_str key);
/* The same for a C string key. Inline, so that the compiler measures a literal key (the
 * usual case) at compile time instead of calling strlen. */
static inline void jw_key(jw_t *w, const char *key) { jw_key_str(w, str_c(key)); }
/* Values. */
void jw_string(jw_t *w, bt_str s);
void jw_cstring(jw_t *w, const char *s);
void jw_int(jw_t *w, int64_t v);
void jw_uint(jw_t *w, uint64_t v);
/* A double in the shortest form that reads back to the same value ("%.17g" at worst);
 * non-finite values are written as null. */
void jw_double(jw_t *w, double v);
void jw_bool(jw_t *w, bool v);
void jw_null(jw_t *w);
/* Already-valid JSON text, written as one value. */
void jw_raw(jw_t *w, bt_str json);

/* Append s as a quoted, escaped JSON string to out (no comma logic). */
void json_escape_string(buf_t *out, const char *s, size_t len);
/* The same for s known to be well-formed UTF-8 (text this writer made): its non-ASCII bytes
 * are copied a chunk at a time without being checked. The output equals
 * json_escape_string's for such text; for other text it is still a well-bracketed JSON
 * string (quotes, backslashes and control characters are escaped) but may carry the
 * ill-formed bytes through. */
void json_escape_valid_utf8(buf_t *out, const char *s, size_t len);

/* The implementations of the string escaper, narrowest first: PORTABLE reads eight-byte
 * words (every machine), SSE2 sixteen-byte chunks (x86-64), AVX2 also copies plain runs 32
 * bytes a step (x86-64 processors that have it). The widest the processor has is chosen
 * before main runs; all write the same bytes. */
typedef enum json_escape_impl {
    JSON_ESCAPE_PORTABLE,
    JSON_ESCAPE_SSE2,
    JSON_ESCAPE_AVX2,
} json_escape_impl;

/* The widest implementation this build and processor support. */
json_escape_impl json_escape_impl_widest(void);
/* Make the writer escape with impl (for tests, which compare every implementation with
 * PORTABLE; not thread-safe: call it before any thread writes JSON). False, and nothing
 * changed, when the processor or the build lacks it. */
bool json_escape_impl_set(json_escape_impl impl);

#endif
