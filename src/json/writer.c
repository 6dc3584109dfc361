/* The JSON writer (see writer.h). Strings are escaped a chunk (16 bytes with SSE2) at a time,
 * straight into room reserved once per block, with no capacity check per byte or escape. */
#include "json/writer.h"
#include "json/swar.h"

#include <float.h>
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

/* How an ASCII byte is written inside a JSON string: itself, a two-byte escape (\" \\ \b \f
 * \n \r \t) or \u00xx for the other control characters. An entry is eight bytes, so it is
 * written with one fixed-size copy; the bytes past length are overwritten by what follows. */
typedef struct ascii_escape {
    char text[7];         /* the output, text[0..length) */
    unsigned char length; /* 1, 2 or 6 */
} ascii_escape;

#define NEEDS_ESCAPE(c) ((c) < 0x20 || (c) == '"' || (c) == '\\')
#define SHORT_ESCAPE_LETTER(c)                                                               \
    ((c) == '"' ? '"' : (c) == '\\' ? '\\' : (c) == '\b' ? 'b' : (c) == '\f' ? 'f'           \
     : (c) == '\n' ? 'n' : (c) == '\r' ? 'r' : (c) == '\t' ? 't' : 0)
#define UNICODE_ESCAPE(c) (NEEDS_ESCAPE(c) && !SHORT_ESCAPE_LETTER(c))
#define HEX_DIGIT(d) ((d) < 10 ? '0' + (d) : 'a' + (d) - 10)
#define ESCAPE_ENTRY(c)                                                                       \
    {{NEEDS_ESCAPE(c) ? '\\' : (c), UNICODE_ESCAPE(c) ? 'u' : SHORT_ESCAPE_LETTER(c),         \
      UNICODE_ESCAPE(c) ? '0' : 0, UNICODE_ESCAPE(c) ? '0' : 0,                               \
      UNICODE_ESCAPE(c) ? HEX_DIGIT((c) >> 4) : 0, UNICODE_ESCAPE(c) ? HEX_DIGIT((c) & 0xF) : 0, \
      0},                                                                                     \
     !NEEDS_ESCAPE(c) ? 1 : UNICODE_ESCAPE(c) ? 6 : 2}
#define ESCAPE_ROW(c)                                                                         \
    ESCAPE_ENTRY(c), ESCAPE_ENTRY((c) + 1), ESCAPE_ENTRY((c) + 2), ESCAPE_ENTRY((c) + 3),     \
        ESCAPE_ENTRY((c) + 4), ESCAPE_ENTRY((c) + 5), ESCAPE_ENTRY((c) + 6), ESCAPE_ENTRY((c) + 7)

/* The output for each ASCII byte (read-only, shared by every thread). */
static const ascii_escape ASCII_ESCAPES[128] = {
    ESCAPE_ROW(0x00), ESCAPE_ROW(0x08), ESCAPE_ROW(0x10), ESCAPE_ROW(0x18),
    ESCAPE_ROW(0x20), ESCAPE_ROW(0x28), ESCAPE_ROW(0x30), ESCAPE_ROW(0x38),
    ESCAPE_ROW(0x40), ESCAPE_ROW(0x48), ESCAPE_ROW(0x50), ESCAPE_ROW(0x58),
    ESCAPE_ROW(0x60), ESCAPE_ROW(0x68), ESCAPE_ROW(0x70), ESCAPE_ROW(0x78),
};

/* The escaper reserves output room once per block of this many input bytes, then writes
 * through a plain pointer with no capacity checks. */
#define ESCAPE_BLOCK 4096

/* The widest chunk an escaper implementation reads and writes at once (AVX2's). */
#define ESCAPE_ROOM_CHUNK 32

/* The output room that escaping a block of block_len input bytes may touch: each byte
 * consumed gives at most six (\u00xx), consumption may end up to a chunk past the block,
 * the last write may reach a chunk (or an eight-byte escape entry) past the output's end,
 * and the closing quote, a ':' after a key and the NUL follow. */
static inline size_t escape_room(size_t block_len) {
    return 6 * (block_len + ESCAPE_ROOM_CHUNK) + ESCAPE_ROOM_CHUNK + sizeof(ascii_escape) + 3;
}

/* A pointer to out->data + used after making sure room bytes fit there. out->len is only
 * brought up to date (to used) when the buffer must grow, so that the copy keeps them. */
static char *reserve(buf_t *out, size_t used, size_t room) {
    if (out->cap - used < room) {
        out->len = used;
        buf_grow(out, room);
    }
    return out->data + used;
}

/* Copy len bytes (1 <= len < 16) from src to dst with a few fixed-size, overlapping copies. */
static inline void copy_short(unsigned char *dst, const unsigned char *src, size_t len) {
    if (len >= 8) {
        memcpy(dst, src, 8);
        memcpy(dst + len - 8, src + len - 8, 8);
    } else if (len >= 4) {
        memcpy(dst, src, 4);
        memcpy(dst + len - 4, src + len - 4, 4);
    } else {
        dst[0] = src[0];
        dst[len / 2] = src[len / 2];
        dst[len - 1] = src[len - 1];
    }
}

/* Copy len bytes (1 <= len < 32) from src to dst: two overlapping 16-byte copies, or
 * copy_short. */
static inline void copy_upto32(unsigned char *dst, const unsigned char *src, size_t len) {
    if (len >= 16) {
        memcpy(dst, src, 16);
        memcpy(dst + len - 16, src + len - 16, 16);
    } else {
        copy_short(dst, src, len);
    }
}

/* What the escaper knows of the UTF-8 of the rest of a string (escape_chunks). */
typedef enum utf8_rest {
    UTF8_REST_UNKNOWN, /* not checked yet: non-ASCII bytes are checked one by one */
    UTF8_REST_VALID,   /* well-formed up to the end: non-ASCII bytes are copied in chunks */
    UTF8_REST_INVALID, /* not well-formed: checked one by one, bad bytes become U+FFFD */
} utf8_rest;

/* Runs of non-ASCII bytes the escaper checks one by one before it validates the rest of
 * the string at once: a rare accented word in prose stays on the cheap path. */
#define DENSE_UTF8_AFTER 4
/* ... and only when they came at least one per this many bytes of the string (in the
 * padded tail, of the tail): long prose with a rare accented word is not dense. */
#define DENSE_UTF8_SPAN 64

/* The escaper's knowledge of a string, kept across the calls of escape_chunks. */
typedef struct escape_state {
    utf8_rest rest;     /* the UTF-8 of the rest of the string */
    unsigned high_runs; /* runs of non-ASCII bytes checked one by one so far */
} escape_state;

/* The escaper's implementations (escape_impl.h): portable everywhere, SSE2 where the
 * compiler targets it (every x86-64), AVX2 on x86-64 for processors that have it. */
#define ESCAPE_PORTABLE 0
#define ESCAPE_SSE2 1
#define ESCAPE_AVX2 2

#define ESCAPE_WIDTH ESCAPE_PORTABLE
#define ESCAPE_SUFFIX portable
#define ESCAPE_TARGET
#include "json/escape_impl.h"
#undef ESCAPE_TARGET
#undef ESCAPE_SUFFIX
#undef ESCAPE_WIDTH

#ifdef __SSE2__
#define ESCAPE_WIDTH ESCAPE_SSE2
#define ESCAPE_SUFFIX sse2
#define ESCAPE_TARGET
#include "json/escape_impl.h"
#undef ESCAPE_TARGET
#undef ESCAPE_SUFFIX
#undef ESCAPE_WIDTH
#endif

#if defined(__x86_64__) && defined(__GNUC__) && defined(__SSE2__)
#define ESCAPE_HAVE_AVX2 1
#include <immintrin.h>

/* For each bit mask of eight bytes, the byte shuffle that writes them with a backslash before
 * each byte whose bit is set: per output byte, the index of its input byte (0 to 7), or 8
 * where a backslash goes (the shuffle's input holds backslashes from index 8 on); and how
 * many bytes that writes. Built before main runs, read-only after. */
static unsigned char QUOTE_SHUFFLES[256][16] __attribute__((aligned(16)));
static unsigned char QUOTE_SHUFFLE_LENGTHS[256];

/* Fill QUOTE_SHUFFLES and QUOTE_SHUFFLE_LENGTHS, once, before main runs. */
__attribute__((constructor)) static void quote_shuffles_build(void) {
    for (unsigned mask = 0; mask < 256; mask++) {
        unsigned out = 0;
        memset(QUOTE_SHUFFLES[mask], 8, sizeof QUOTE_SHUFFLES[mask]);
        for (unsigned byte = 0; byte < 8; byte++) {
            if (mask >> byte & 1) out++; /* the backslash: 8 already */
            QUOTE_SHUFFLES[mask][out++] = (unsigned char)byte;
        }
        QUOTE_SHUFFLE_LENGTHS[mask] = (unsigned char)out;
    }
}

/* Write the 32 bytes at src to o with a backslash before each byte whose bit is set in
 * quotes (each a '"' or '\\'; no byte of the 32 needs any other escape), eight bytes a step
 * with one shuffle of those bytes followed by eight backslashes, and no branch; return the
 * output position after them. Writes up to 16 bytes past that position. */
__attribute__((target("avx2"))) static inline char *escape_quotes_avx2(char *o,
                                                                       const unsigned char *src,
                                                                       unsigned quotes) {
    const __m128i backslashes = _mm_set1_epi8('\\');
    for (unsigned step = 0; step < 4; step++) {
        unsigned mask = quotes >> (8 * step) & 0xFF;
        __m128i bytes = _mm_unpacklo_epi64(
            _mm_loadl_epi64((const __m128i *)(const void *)(src + 8 * step)), backslashes);
        __m128i shuffle = _mm_load_si128((const __m128i *)(const void *)QUOTE_SHUFFLES[mask]);
        _mm_storeu_si128((__m128i *)(void *)o, _mm_shuffle_epi8(bytes, shuffle));
        o += QUOTE_SHUFFLE_LENGTHS[mask];
    }
    return o;
}

#define ESCAPE_WIDTH ESCAPE_AVX2
#define ESCAPE_SUFFIX avx2
#define ESCAPE_TARGET __attribute__((target("avx2")))
#include "json/escape_impl.h"
#undef ESCAPE_TARGET
#undef ESCAPE_SUFFIX
#undef ESCAPE_WIDTH
#endif

/* The implementation escape_bytes uses: the widest the processor has, chosen before main
 * runs (so no thread races on it); tests change it with json_escape_impl_set. */
static json_escape_impl chosen_escape_impl = JSON_ESCAPE_PORTABLE;

/* See writer.h. */
json_escape_impl json_escape_impl_widest(void) {
#ifdef ESCAPE_HAVE_AVX2
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) return JSON_ESCAPE_AVX2;
#endif
#ifdef __SSE2__
    return JSON_ESCAPE_SSE2;
#else
    return JSON_ESCAPE_PORTABLE;
#endif
}

/* Pick the widest implementation, once, before main runs. */
__attribute__((constructor)) static void json_escape_choose(void) {
    chosen_escape_impl = json_escape_impl_widest();
}

/* See writer.h. */
bool json_escape_impl_set(json_escape_impl impl) {
    if (impl > json_escape_impl_widest()) return false;
    chosen_escape_impl = impl;
    return true;
}

/* Write the escaped bytes of s[0..len) at o with the chosen implementation (see
 * escape_impl.h's escape_bytes_*), reserving more room in out as it goes. */
static char *escape_bytes(buf_t *out, char *o, const unsigned char *s, size_t len,
                          utf8_rest rest) {
    switch (chosen_escape_impl) {
#ifdef ESCAPE_HAVE_AVX2
    case JSON_ESCAPE_AVX2:
        return escape_bytes_avx2(out, o, s, len, rest);
#endif
#ifdef __SSE2__
    case JSON_ESCAPE_SSE2:
        return escape_bytes_sse2(out, o, s, len, rest);
#endif
    default:
        return escape_bytes_portable(out, o, s, len, rest);
    }
}

/* Write s[0..len) as a quoted, escaped JSON string at the end of out, then suffix unless it
 * is '\0' (the ':' after a key), then the NUL, and update out->len. The general case of
 * write_quoted, kept out of line so that the short case stays small. */
static void write_quoted_escaped(buf_t *out, const char *s, size_t len, char suffix,
                                 utf8_rest rest) {
    char *o = reserve(out, out->len, 1 + escape_room(len < ESCAPE_BLOCK ? len : ESCAPE_BLOCK));
    *o++ = '"';
    if (len) o = escape_bytes(out, o, (const unsigned char *)s, len, rest); /* s may be NULL if 0 */
    o[0] = '"';
    o[1] = suffix; /* the NUL itself when there is no suffix */
    o[2] = '\0';
    out->len = (size_t)(o - out->data) + 1 + (suffix != '\0');
}

/* The longest string copy_short_plain takes: attribute names such as
 * gen_ai.usage.cache_read.input_tokens, ids and model names. */
#define SHORT_PLAIN_MAX (4 * SWAR_CHUNK)

/* Copy s[0..len), 1 <= len <= SHORT_PLAIN_MAX, to o and return true when none of its bytes
 * needs a look (the usual case for keys and short values); otherwise return false, having
 * written nothing that counts. The string is read as two or four overlapping pieces, never
 * past its end. */
static inline bool copy_short_plain(char *o, const char *s, size_t len) {
    if (len > 2 * SWAR_CHUNK) {
        unsigned first = swar_copy_find_special(o, s);
        unsigned second = swar_copy_find_special(o + SWAR_CHUNK, s + SWAR_CHUNK);
        unsigned third = swar_copy_find_special(o + len - 2 * SWAR_CHUNK, s + len - 2 * SWAR_CHUNK);
        unsigned last = swar_copy_find_special(o + len - SWAR_CHUNK, s + len - SWAR_CHUNK);
        return (first & second & third & last) == SWAR_CHUNK;
    }
    if (len > SWAR_CHUNK) {
        unsigned head = swar_copy_find_special(o, s);
        unsigned tail = swar_copy_find_special(o + len - SWAR_CHUNK, s + len - SWAR_CHUNK);
        return head == SWAR_CHUNK && tail == SWAR_CHUNK;
    }
    if (len >= 8) {
        uint64_t head = swar_load(s), tail = swar_load(s + len - 8);
        if (swar_words_need_look(head, tail)) return false;
        memcpy(o, &head, 8);
        memcpy(o + len - 8, &tail, 8);
    } else if (len >= 4) {
        uint32_t head, tail;
        memcpy(&head, s, 4);
        memcpy(&tail, s + len - 4, 4);
        uint64_t both = (uint64_t)head | (uint64_t)tail << 32;
        if (swar_words_need_look(both, both)) return false;
        memcpy(o, &head, 4);
        memcpy(o + len - 4, &tail, 4);
    } else {
        unsigned char first = (unsigned char)s[0], middle = (unsigned char)s[len / 2],
                      last = (unsigned char)s[len - 1];
        uint64_t word = (SWAR_ONES * ' ') << 24 | (uint64_t)last << 16 | (uint64_t)middle << 8 |
                        first; /* the three bytes, then spaces */
        if (swar_words_need_look(word, word)) return false;
        o[0] = (char)first;
        o[len / 2] = (char)middle;
        o[len - 1] = (char)last;
    }
    return true;
}

/* Write s[0..len) as a quoted, escaped JSON string at the end of out, then suffix unless it
 * is '\0', then the NUL, and update out->len. Short strings with nothing to escape (most
 * keys and many values) are copied here; the rest go to write_quoted_escaped. */
static inline void write_quoted(buf_t *out, const char *s, size_t len, char suffix,
                                utf8_rest rest) {
    if (len <= SHORT_PLAIN_MAX) {
        char *o = reserve(out, out->len, SHORT_PLAIN_MAX + 4);
        if (len == 0 || copy_short_plain(o + 1, s, len)) {
            o[0] = '"';
            o[len + 1] = '"';
            o[len + 2] = suffix; /* the NUL itself when there is no suffix */
            o[len + 3] = '\0';
            out->len += len + 2 + (suffix != '\0');
            return;
        }
    }
    write_quoted_escaped(out, s, len, suffix, rest);
}

/* See writer.h. Valid UTF-8 is copied as is; each byte that does not belong to a well-formed
 * sequence is written as U+FFFD. */
void json_escape_string(buf_t *out, const char *s, size_t len) {
    write_quoted(out, s, len, '\0', UTF8_REST_UNKNOWN);
}

/* See writer.h. */
void json_escape_valid_utf8(buf_t *out, const char *s, size_t len) {
    write_quoted(out, s, len, '\0', UTF8_REST_VALID);
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
    write_quoted(w->out, key.ptr, key.len, ':', UTF8_REST_UNKNOWN);
    w->after_key = true;
}

/* See writer.h. */
void jw_string(jw_t *w, bt_str s) {
    begin_value(w);
    write_quoted(w->out, s.ptr, s.len, '\0', UTF8_REST_UNKNOWN);
}

/* See writer.h. */
void jw_cstring(jw_t *w, const char *s) { jw_string(w, str_c(s)); }

/* Write the decimal digits of magnitude at out (room for 20); returns how many. */
static size_t write_digits(char *out, uint64_t magnitude) {
    char digits[20];
    char *p = digits + sizeof digits;
    do {
        *--p = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    size_t len = (size_t)(digits + sizeof digits - p);
    memcpy(out, p, len);
    return len;
}

/* Append the decimal digits of magnitude, after a '-' when negative. */
static void put_decimal(buf_t *out, uint64_t magnitude, bool negative) {
    char text[21]; /* a sign and the 20 digits of UINT64_MAX */
    size_t len = 0;
    if (negative) text[len++] = '-';
    len += write_digits(text + len, magnitude);
    buf_append(out, text, len);
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

/* Write v at text as "%.15g" would when v is the double nearest a decimal of at most
 * fifteen significant digits, from 1e-7 up to 1e15: the fewest fraction digits that give v
 * back (so none ends in 0), in fixed point from 1e-4 on and as %g's exponent form ("8.5e-05")
 * below. Returns the length, or 0 when v is not such a number (the caller then uses
 * printf). The parameters of requests (temperature 0.7, top_p 0.95) and the costs of items
 * (0.00018885, 8.535e-05) are; printf costs thousands of instructions. */
static int short_decimal(double v, char text[32]) {
#if FLT_EVAL_METHOD != 0
    (void)v; /* excess precision would make the read-back test below unreliable */
    (void)text;
    return 0;
#else
    /* every power of ten up to 1e22 is exact in a double */
    static const double powers[] = {1,    1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                    1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    double magnitude = fabs(v);
    if (!(magnitude >= 1e-7 && magnitude < 1e15)) return 0;
    for (int digits = 0; digits < (int)(sizeof powers / sizeof *powers); digits++) {
        double scaled = magnitude * powers[digits];
        if (scaled < 0.5) continue; /* rounds to 0: no digit yet */
        if (scaled >= 1e15) return 0; /* more than fifteen significant digits */
        uint64_t decimal = (uint64_t)llround(scaled);
        if ((double)decimal / powers[digits] != magnitude) continue;
        char *p = text;
        if (v < 0) *p++ = '-';
        if (magnitude < 1e-4) { /* %g's exponent form: d[.ddd]e-XX */
            char mantissa[20];
            int length = (int)write_digits(mantissa, decimal);
            *p++ = mantissa[0];
            if (length > 1) {
                *p++ = '.';
                memcpy(p, mantissa + 1, (size_t)length - 1);
                p += length - 1;
            }
            int exponent = digits - (length - 1); /* the value is mantissa * 10^-exponent */
            if (exponent < 5 || exponent > 9) return 0;
            memcpy(p, "e-0", 3);
            p[3] = (char)('0' + exponent);
            return (int)(p + 4 - text);
        }
        uint64_t unit = (uint64_t)powers[digits]; /* at most 1e18: magnitude >= 1e-4 */
        p += write_digits(p, decimal / unit);
        if (digits) {
            *p++ = '.';
            uint64_t fraction = decimal % unit;
            for (int i = digits - 1; i >= 0; i--) {
                p[i] = (char)('0' + fraction % 10);
                fraction /= 10;
            }
            p += digits;
        }
        return (int)(p - text);
    }
    return 0;
#endif
}

/* See writer.h. A short decimal is written from its digits; otherwise the first of %.15g,
 * %.16g, %.17g that reads back equal wins (%.17g always does); -0.0 is written "-0". */
void jw_double(jw_t *w, double v) {
    if (!isfinite(v)) {
        jw_null(w);
        return;
    }
    begin_value(w);
    char text[32];
    int len = short_decimal(v, text);
    if (len == 0) { /* the shortest of 15, 16 and 17 significant digits that gives v back */
        for (int precision = 15; precision <= 17; precision++) {
            len = snprintf(text, sizeof text, "%.*g", precision, v);
            if (strtod(text, NULL) == v) break;
        }
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
