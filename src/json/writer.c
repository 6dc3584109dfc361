/* The JSON writer (see writer.h). Strings are copied in runs: bytes that need no escaping
 * are found eight at a time and appended with one buf_append per run. */
#include "json/writer.h"
#include "json/swar.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "json/json.h"
#include "util/utf8.h"

/* U+FFFD REPLACEMENT CHARACTER, written for each byte that is not valid UTF-8. */
static const char REPLACEMENT_CHARACTER[] = "\xEF\xBF\xBD";

/* Print why the writer cannot go on and abort: misuse of the writer is a bug in batchtrace. */
static void writer_abort(const char *why) {
    fprintf(stderr, "batchtrace: JSON writer: %s\n", why);
    abort();
}

/* Append the escape for c, a '"', a '\\' or a control character. */
static void put_escape(buf_t *out, unsigned char c) {
    static const char hex[] = "0123456789abcdef";
    char escape[6] = {'\\', 0, 0, 0, 0, 0};
    size_t len = 2;
    switch (c) {
    case '"': escape[1] = '"'; break;
    case '\\': escape[1] = '\\'; break;
    case '\b': escape[1] = 'b'; break;
    case '\f': escape[1] = 'f'; break;
    case '\n': escape[1] = 'n'; break;
    case '\r': escape[1] = 'r'; break;
    case '\t': escape[1] = 't'; break;
    default:
        escape[1] = 'u';
        escape[2] = '0';
        escape[3] = '0';
        escape[4] = hex[c >> 4];
        escape[5] = hex[c & 0xF];
        len = 6;
    }
    buf_append(out, escape, len);
}

/* See writer.h. Valid UTF-8 is copied as is; each byte that does not belong to a well-formed
 * sequence is written as U+FFFD. Runs of bytes that need nothing are found by
 * swar_find_special and appended at once; a non-ASCII byte costs one check of its sequence. */
void json_escape_string(buf_t *out, const char *s, size_t len) {
    size_t i = len ? swar_find_special(s, len) : 0; /* s may be NULL when len is 0 */
    if (out->len + len + 3 > out->cap) buf_grow(out, len + 2);
    char *quoted = out->data + out->len;
    quoted[0] = '"';
    if (i == len) { /* the usual case: nothing to escape, one copy */
        if (len) memcpy(quoted + 1, s, len);
        quoted[len + 1] = '"';
        quoted[len + 2] = '\0';
        out->len += len + 2;
        return;
    }
    out->len++;
    const unsigned char *bytes = (const unsigned char *)s;
    size_t run_start = 0;
    while (i < len) {
        unsigned char c = bytes[i];
        if (c >= 0x80) {
            size_t length = utf8_sequence_length(bytes + i, len - i);
            if (length) {
                i += length;
                i += swar_find_special(s + i, len - i);
                continue;
            }
            buf_append(out, s + run_start, i - run_start);
            buf_append(out, REPLACEMENT_CHARACTER, sizeof REPLACEMENT_CHARACTER - 1);
        } else if (c < 0x20 || c == '"' || c == '\\') {
            buf_append(out, s + run_start, i - run_start);
            put_escape(out, c);
        } else {
            i++; /* a plain byte flagged next to a special one */
            i += swar_find_special(s + i, len - i);
            continue;
        }
        i++;
        run_start = i;
        i += swar_find_special(s + i, len - i);
    }
    buf_append(out, s + run_start, len - run_start);
    buf_putc(out, '"');
}

/* See writer.h. */
void jw_init(jw_t *w, buf_t *out) {
    w->out = out;
    w->depth = 0;
    w->first[0] = true;
    w->after_key = false;
}

/* Write the comma a value needs: none right after a key or before a container's first. */
static void begin_value(jw_t *w) {
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (!w->first[w->depth]) buf_putc(w->out, ',');
    w->first[w->depth] = false;
}

/* Open a container with bracket c. */
static void open_container(jw_t *w, char c) {
    begin_value(w);
    if (w->depth == JW_MAX_DEPTH) writer_abort("nested deeper than JW_MAX_DEPTH");
    buf_putc(w->out, c);
    w->depth++;
    w->first[w->depth] = true;
}

/* Close the innermost container with bracket c. */
static void close_container(jw_t *w, char c) {
    if (w->depth == 0) writer_abort("closed a container that is not open");
    w->depth--;
    buf_putc(w->out, c);
}

/* See writer.h: the four container brackets. */
void jw_object_open(jw_t *w) { open_container(w, '{'); }
void jw_object_close(jw_t *w) { close_container(w, '}'); }
void jw_array_open(jw_t *w) { open_container(w, '['); }
void jw_array_close(jw_t *w) { close_container(w, ']'); }

/* See writer.h. */
void jw_key_str(jw_t *w, bt_str key) {
    begin_value(w);
    json_escape_string(w->out, key.ptr, key.len);
    buf_putc(w->out, ':');
    w->after_key = true;
}

/* See writer.h. */
void jw_key(jw_t *w, const char *key) { jw_key_str(w, str_c(key)); }

/* See writer.h. */
void jw_string(jw_t *w, bt_str s) {
    begin_value(w);
    json_escape_string(w->out, s.ptr, s.len);
}

/* See writer.h. */
void jw_cstring(jw_t *w, const char *s) { jw_string(w, str_c(s)); }

/* Append the decimal digits of magnitude, after a '-' when negative. */
static void put_decimal(buf_t *out, uint64_t magnitude, bool negative) {
    char digits[21]; /* 20 digits of UINT64_MAX and a sign */
    char *p = digits + sizeof digits;
    do {
        *--p = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    if (negative) *--p = '-';
    buf_append(out, p, (size_t)(digits + sizeof digits - p));
}

/* See writer.h. */
void jw_int(jw_t *w, int64_t v) {
    begin_value(w);
    put_decimal(w->out, v < 0 ? 0 - (uint64_t)v : (uint64_t)v, v < 0);
}

/* See writer.h. */
void jw_uint(jw_t *w, uint64_t v) {
    begin_value(w);
    put_decimal(w->out, v, false);
}

/* See writer.h. The first of %.15g, %.16g, %.17g that reads back equal wins (%.17g always
 * does); -0.0 is written "-0". */
void jw_double(jw_t *w, double v) {
    if (!isfinite(v)) {
        jw_null(w);
        return;
    }
    begin_value(w);
    char text[32];
    int len = 0;
    for (int precision = 15; precision <= 17; precision++) {
        len = snprintf(text, sizeof text, "%.*g", precision, v);
        if (strtod(text, NULL) == v) break;
    }
    buf_append(w->out, text, (size_t)len);
}

/* See writer.h. */
void jw_bool(jw_t *w, bool v) {
    begin_value(w);
    if (v) buf_append(w->out, "true", 4);
    else buf_append(w->out, "false", 5);
}

/* See writer.h. */
void jw_null(jw_t *w) {
    begin_value(w);
    buf_append(w->out, "null", 4);
}

/* See writer.h. */
void jw_raw(jw_t *w, bt_str json) {
    begin_value(w);
    buf_append(w->out, json.ptr, json.len);
}
