/* Tests for the JSON writer: escaping, replacement of invalid UTF-8, numbers, comma
 * placement, and round trips through the reader. */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "json/json.h"
#include "json/writer.h"
#include "test.h"
#include "util/reason.h"
#include "util/utf8.h"

/* 1 when built with AddressSanitizer (gcc defines __SANITIZE_ADDRESS__, clang answers
 * __has_feature), for the sweeps below. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED_BUILD 1
#endif
#endif
#ifndef SANITIZED_BUILD
#define SANITIZED_BUILD 0
#endif

/* json_escape_string of bytes[0..len) into a fresh buffer; the caller frees it. */
static buf_t escaped(const char *bytes, size_t len) {
    buf_t out = BUF_INIT;
    json_escape_string(&out, bytes, len);
    return out;
}

/* Check that escaping bytes[0..len) gives exactly expected. */
static void check_escape_n(const char *bytes, size_t len, const char *expected, int line) {
    buf_t out = escaped(bytes, len);
    if (strcmp(buf_cstr(&out), expected) != 0) {
        fprintf(stderr, "%s:%d: escaped to %s, expected %s\n", __FILE__, line, buf_cstr(&out),
                expected);
        test_failures_in_current++;
    }
    buf_free(&out);
}
#define CHECK_ESCAPE(literal, expected) \
    check_escape_n((literal), sizeof(literal) - 1, (expected), __LINE__)

TEST(escapes_every_control_character) {
    char controls[32];
    for (int c = 0; c < 32; c++) controls[c] = (char)c;
    check_escape_n(controls, 32,
                   "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007"
                   "\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f"
                   "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017"
                   "\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\"",
                   __LINE__);
    CHECK_ESCAPE("\x7f", "\"\x7f\"");
}

TEST(escapes_quotes_and_backslashes_only) {
    CHECK_ESCAPE("", "\"\"");
    CHECK_ESCAPE("plain", "\"plain\"");
    CHECK_ESCAPE("a\"b\\c/d", "\"a\\\"b\\\\c/d\"");
    CHECK_ESCAPE("\"\\", "\"\\\"\\\\\"");
    /* Escapes inside, before and after the eight-bytes-at-a-time runs. */
    CHECK_ESCAPE("0123456789abcdef\"0123456789abcdef\n01234567",
                 "\"0123456789abcdef\\\"0123456789abcdef\\n01234567\"");
    CHECK_ESCAPE("01234567\\", "\"01234567\\\\\"");
    buf_t out = BUF_INIT;
    json_escape_string(&out, NULL, 0);
    CHECK_STR(buf_cstr(&out), "\"\"");
    buf_free(&out);
}

TEST(valid_utf8_passes_through_unchanged) {
    CHECK_ESCAPE("h\xC3\xA9llo", "\"h\xC3\xA9llo\"");
    CHECK_ESCAPE("\xE2\x80\xA8 and \xE2\x80\xA9", "\"\xE2\x80\xA8 and \xE2\x80\xA9\""); /* U+2028/9 */
    CHECK_ESCAPE("\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF\xEF\xBF\xBF",
                 "\"\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF\xEF\xBF\xBF\"");
    CHECK_ESCAPE("\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\"\n",
                 "\"\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E\\\"\\n\"");
}

TEST(invalid_utf8_bytes_become_replacement_characters) {
    CHECK_ESCAPE("a\xFF" "b", "\"a\xEF\xBF\xBD" "b\"");
    CHECK_ESCAPE("\xC0\x80", "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
    CHECK_ESCAPE("\xED\xA0\x80", "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
    CHECK_ESCAPE("\xF4\x90\x80\x80", "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
    CHECK_ESCAPE("x\xE2\x82", "\"x\xEF\xBF\xBD\xEF\xBF\xBD\"");
    CHECK_ESCAPE("\x80", "\"\xEF\xBF\xBD\"");
    CHECK_ESCAPE("\xC3\xA9\x80\xC3\xA9", "\"\xC3\xA9\xEF\xBF\xBD\xC3\xA9\"");
    CHECK_ESCAPE("0123456789\xE2\x82\xAC\xE2\x82\n", "\"0123456789\xE2\x82\xAC\xEF\xBF\xBD\xEF\xBF\xBD\\n\"");
}

/* The text jw_double writes for v. */
static void check_double(double v, const char *expected, int line) {
    buf_t out = BUF_INIT;
    jw_t w;
    jw_init(&w, &out);
    jw_double(&w, v);
    if (strcmp(buf_cstr(&out), expected) != 0) {
        fprintf(stderr, "%s:%d: %.17g written as %s, expected %s\n", __FILE__, line, v,
                buf_cstr(&out), expected);
        test_failures_in_current++;
    }
    buf_free(&out);
}
#define CHECK_DOUBLE(v, expected) check_double((v), (expected), __LINE__)

TEST(doubles_are_shortest_round_trip) {
    CHECK_DOUBLE(0.1, "0.1");
    CHECK_DOUBLE(1e300, "1e+300");
    CHECK_DOUBLE(-0.0, "-0");
    CHECK_DOUBLE(123456789.125, "123456789.125");
    CHECK_DOUBLE(1.0, "1");
    CHECK_DOUBLE(-2.5, "-2.5");
    CHECK_DOUBLE(1.0 / 3.0, "0.3333333333333333");
    CHECK_DOUBLE(0.1 + 0.2, "0.30000000000000004");
    CHECK_DOUBLE(DBL_MAX, "1.7976931348623157e+308");
    CHECK_DOUBLE(1e-7, "1e-07");
    CHECK_DOUBLE(NAN, "null");
    CHECK_DOUBLE(INFINITY, "null");
    CHECK_DOUBLE(-INFINITY, "null");
}

/* What jw_double wrote before its short-decimal path: the shortest of %.15g, %.16g and
 * %.17g that reads back as v. */
static void reference_double(double v, char text[32]) {
    for (int precision = 15; precision <= 17; precision++) {
        snprintf(text, 32, "%.*g", precision, v);
        if (strtod(text, NULL) == v) return;
    }
}

TEST(short_decimals_are_written_as_printf_would) {
    static const double fixed[] = {0.7, 0.95, 1, 2, 0.0001, 0.00010000000000000002, 9.9e-5,
                                   1e-4 * 3, 0.000123, 123456.789012, 123456.7890123,
                                   999999999999999, 1e15, 99999999999999.9, 0.1 + 0.2,
                                   1.0 / 3.0, 4096, 1e14 + 0.5, 0.5, 2.675, 1.005, 1e-5};
    char want[32];
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
        for (int sign = 1; sign >= -1; sign -= 2) {
            double v = sign * fixed[i];
            reference_double(v, want);
            CHECK_DOUBLE(v, want);
        }
    }
    uint64_t state = 42;
    for (int n = 0; n < 200000; n++) { /* decimals of 0 to 7 fraction digits, all magnitudes */
        state = state * 6364136223846793005u + 1442695040888963407u;
        int digits = (int)(state >> 61);
        uint64_t bound = n % 3 == 0 ? 1000 : n % 3 == 1 ? 10000000 : 1000000000000000u;
        uint64_t mantissa = (state >> 11) % bound;
        double v = (double)mantissa / pow(10, digits);
        if (n & 1) v = -v;
        reference_double(v, want);
        CHECK_DOUBLE(v, want);
    }
}

TEST(costs_are_written_as_printf_would) {
    /* item costs: up to fifteen significant digits, many fraction digits, and below 1e-4
     * (%g's exponent form) */
    static const double fixed[] = {0.00018885, 8.535e-05, 7.785e-05, 0.00486695, 1e-5, 1e-6,
                                   1e-7, 9.99999999999999e-5, 1.23456789012345e-7, 9e-8,
                                   0.000099999, 1.5e-5, 0.0001000000000001, 123.456789012345,
                                   0.123456789012345, 0.1234567890123456, 1.000000000000001e-5};
    char want[32];
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
        for (int sign = 1; sign >= -1; sign -= 2) {
            double v = sign * fixed[i];
            reference_double(v, want);
            CHECK_DOUBLE(v, want);
        }
    }
    uint64_t state = 7;
    for (int n = 0; n < 100000; n++) { /* decimals of 0 to 23 fraction digits */
        state = state * 6364136223846793005u + 1442695040888963407u;
        int digits = (int)((state >> 59) % 24);
        uint64_t bound = n % 4 == 0 ? 1000 : n % 4 == 1 ? 100000000 : n % 4 == 2
                                                                     ? 1000000000000000u
                                                                     : 100000000000000000u;
        uint64_t mantissa = (state >> 7) % bound;
        double v = (double)mantissa / pow(10, digits);
        if (n & 1) v = -v;
        reference_double(v, want);
        CHECK_DOUBLE(v, want);
    }
}

TEST(integers_are_exact) {
    buf_t out = BUF_INIT;
    jw_t w;
    jw_init(&w, &out);
    jw_array_open(&w);
    jw_int(&w, 0);
    jw_int(&w, -1);
    jw_int(&w, INT64_MAX);
    jw_int(&w, INT64_MIN);
    jw_uint(&w, UINT64_MAX);
    jw_uint(&w, 0);
    jw_array_close(&w);
    CHECK_STR(buf_cstr(&out),
              "[0,-1,9223372036854775807,-9223372036854775808,18446744073709551615,0]");
    buf_free(&out);
}

TEST(commas_are_placed_per_depth) {
    buf_t out = BUF_INIT;
    buf_puts(&out, "prefix ");
    jw_t w;
    jw_init(&w, &out);
    jw_object_open(&w);
    jw_key(&w, "a");
    jw_array_open(&w);
    jw_int(&w, 1);
    jw_object_open(&w);
    jw_key(&w, "b");
    jw_array_open(&w);
    jw_array_close(&w);
    jw_object_close(&w);
    jw_array_open(&w);
    jw_array_open(&w);
    jw_array_close(&w);
    jw_array_close(&w);
    jw_array_close(&w);
    jw_key(&w, "c");
    jw_object_open(&w);
    jw_object_close(&w);
    jw_key(&w, "d");
    jw_null(&w);
    jw_key_str(&w, STR_LIT("e\""));
    jw_bool(&w, true);
    jw_key(&w, "f");
    jw_cstring(&w, "x");
    jw_key(&w, "g");
    jw_raw(&w, STR_LIT("{\"r\":[1,2]}"));
    jw_key(&w, "h");
    jw_array_open(&w);
    jw_bool(&w, false);
    jw_string(&w, STR_LIT("s"));
    jw_raw(&w, STR_LIT("7"));
    jw_double(&w, 0.5);
    jw_double(&w, NAN);
    jw_array_close(&w);
    jw_object_close(&w);
    CHECK_STR(buf_cstr(&out), "prefix {\"a\":[1,{\"b\":[]},[[]]],\"c\":{},\"d\":null,\"e\\\"\":true,"
                              "\"f\":\"x\",\"g\":{\"r\":[1,2]},\"h\":[false,\"s\",7,0.5,null]}");
    CHECK_INT(w.depth, 0);
    buf_free(&out);
}

TEST(nesting_up_to_the_limit_works) {
    buf_t out = BUF_INIT;
    jw_t w;
    jw_init(&w, &out);
    for (int i = 0; i < JW_MAX_DEPTH; i++) jw_array_open(&w);
    jw_int(&w, 1);
    jw_int(&w, 2);
    for (int i = 0; i < JW_MAX_DEPTH; i++) jw_array_close(&w);
    CHECK_INT(out.len, 2 * JW_MAX_DEPTH + 3);
    CHECK_STRN(out.data + JW_MAX_DEPTH - 1, 5, "[1,2]");
    buf_free(&out);
}

/* Escape bytes[0..len), parse the result back and check json_string gives expected. */
static void check_round_trip(const char *bytes, size_t len, const char *expected,
                             size_t expected_len, int line) {
    buf_t out = escaped(bytes, len);
    json_doc doc = JSON_DOC_INIT;
    arena_t arena = ARENA_INIT;
    char reason[REASON_MAX] = "";
    bt_str back = STR_NULL;
    if (json_parse(&doc, out.data, out.len, reason) != 0 ||
        json_string(&doc, 0, &arena, &back) != 0 || back.len != expected_len ||
        memcmp(back.ptr, expected, expected_len) != 0) {
        fprintf(stderr, "%s:%d: round trip failed (%s): %s\n", __FILE__, line, reason,
                buf_cstr(&out));
        test_failures_in_current++;
    }
    json_doc_free(&doc);
    arena_free(&arena);
    buf_free(&out);
}

TEST(tricky_strings_round_trip_through_the_reader) {
    char every_ascii[128];
    for (int c = 0; c < 128; c++) every_ascii[c] = (char)c;
    check_round_trip(every_ascii, sizeof every_ascii, every_ascii, sizeof every_ascii, __LINE__);
    const char tricky[] = "\"\\/\b\f\n\r\t\x01\x1f\x7f \xE2\x80\xA8\xE2\x80\xA9 \xF0\x9F\x98\x80 "
                          "\xC3\xA9\\u0041 </script> \0end";
    check_round_trip(tricky, sizeof tricky - 1, tricky, sizeof tricky - 1, __LINE__);
    const char invalid[] = "a\xC0\x80" "b\xED\xA0\x80" "c\xE2\x82";
    const char replaced[] = "a\xEF\xBF\xBD\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
                            "c\xEF\xBF\xBD\xEF\xBF\xBD";
    check_round_trip(invalid, sizeof invalid - 1, replaced, sizeof replaced - 1, __LINE__);
}

TEST(output_is_valid_json_for_any_bytes) {
    /* A fixed pseudo-random sequence, so a failure reproduces. */
    uint32_t state = 12345;
    char bytes[64];
    int rejected = 0;
    for (int round = 0; round < 20000; round++) {
        size_t len = (size_t)(round % 64);
        for (size_t i = 0; i < len; i++) {
            state = state * 1103515245u + 12345u;
            bytes[i] = (char)(state >> 16);
        }
        buf_t out = escaped(bytes, len);
        json_doc doc = JSON_DOC_INIT;
        char reason[REASON_MAX];
        if (json_parse(&doc, out.data, out.len, reason) != 0 || json_type_of(&doc, 0) != JSON_STRING)
            rejected++;
        json_doc_free(&doc);
        buf_free(&out);
    }
    CHECK_INT(rejected, 0);
}

/* A byte-at-a-time escaper written from RFC 8259 and the Unicode Standard's table 3-7,
 * independent of the writer's, for the tests below to compare against: appends s[0..len)
 * as a quoted JSON string to out. */
static void reference_escape(buf_t *out, const unsigned char *s, size_t len) {
    buf_putc(out, '"');
    size_t verbatim = 0; /* s[verbatim..i) stands for itself: appended before the next escape */
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            i++;
            continue;
        }
        if (c >= 0x80) {
            /* Decode one sequence; keep it only when it is complete, shortest and in range. */
            size_t length = c >= 0xF8 ? 0 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
            uint32_t code_point = length == 4 ? c & 0x07u : length == 3 ? c & 0x0Fu : c & 0x1Fu;
            bool well_formed = length != 0 && length <= len - i;
            for (size_t k = 1; well_formed && k < length; k++) {
                if ((s[i + k] & 0xC0) != 0x80) well_formed = false;
                code_point = code_point << 6 | (s[i + k] & 0x3Fu);
            }
            static const uint32_t shortest[5] = {0, 0, 0x80, 0x800, 0x10000};
            if (well_formed && (code_point < shortest[length] || code_point > 0x10FFFF ||
                                (code_point >= 0xD800 && code_point <= 0xDFFF)))
                well_formed = false;
            if (well_formed) {
                i += length;
                continue;
            }
        }
        buf_append(out, s + verbatim, i - verbatim);
        if (c == '"') buf_puts(out, "\\\"");
        else if (c == '\\') buf_puts(out, "\\\\");
        else if (c == '\b') buf_puts(out, "\\b");
        else if (c == '\f') buf_puts(out, "\\f");
        else if (c == '\n') buf_puts(out, "\\n");
        else if (c == '\r') buf_puts(out, "\\r");
        else if (c == '\t') buf_puts(out, "\\t");
        else if (c < 0x20) buf_printf(out, "\\u%04x", c);
        else buf_puts(out, "\xEF\xBF\xBD"); /* an ill-formed byte */
        verbatim = ++i;
    }
    buf_append(out, s + verbatim, i - verbatim);
    buf_putc(out, '"');
}

/* Check json_escape_string, jw_string and jw_key_str on bytes[0..len) against
 * reference_escape, each appending after prefix_len bytes already in the buffer (so the
 * output starts at varied offsets and the buffer grows at varied points). Returns the number
 * of mismatches (0 or more), printing the first differing input. */
static int check_against_reference(const char *bytes, size_t len, size_t prefix_len, int line) {
    buf_t expected = BUF_INIT;
    for (size_t k = 0; k < prefix_len; k++) buf_putc(&expected, (char)('A' + k % 26));
    reference_escape(&expected, (const unsigned char *)bytes, len);
    int mismatches = 0;
    for (int way = 0; way < 3; way++) {
        buf_t out = BUF_INIT;
        for (size_t k = 0; k < prefix_len; k++) buf_putc(&out, (char)('A' + k % 26));
        jw_t w;
        jw_init(&w, &out);
        if (way == 0) {
            json_escape_string(&out, bytes, len);
        } else if (way == 1) {
            jw_string(&w, (bt_str){bytes, len});
        } else {
            jw_object_open(&w);
            jw_key_str(&w, (bt_str){bytes, len});
        }
        /* jw_key_str wrote "{" before and ":" after the string */
        size_t start = way == 2 ? prefix_len + 1 : prefix_len;
        size_t expected_len = expected.len - prefix_len + (way == 2 ? 2 : 0);
        bool same = out.len == prefix_len + expected_len && out.data[out.len] == '\0' &&
                    memcmp(out.data, expected.data, prefix_len) == 0 &&
                    memcmp(out.data + start, expected.data + prefix_len,
                           expected.len - prefix_len) == 0 &&
                    (way != 2 || (out.data[prefix_len] == '{' && out.data[out.len - 1] == ':'));
        if (!same) {
            if (!mismatches) {
                fprintf(stderr, "%s:%d: way %d, %zu bytes after %zu:", __FILE__, line, way, len,
                        prefix_len);
                for (size_t k = 0; k < len && k < 80; k++)
                    fprintf(stderr, " %02x", (unsigned char)bytes[k]);
                fprintf(stderr, "\n  expected %s\n  got      %s\n", expected.data + prefix_len,
                        out.data + prefix_len);
            }
            mismatches++;
        }
        buf_free(&out);
    }
    buf_free(&expected);
    return mismatches;
}

/* Pieces the generated strings are made of: plain runs, every kind of escape, valid UTF-8
 * of each length, and ill-formed bytes (stray continuation bytes, overlong forms, encoded
 * surrogates, past U+10FFFF, truncated sequences, bytes never valid). */
static const char *const STRING_PIECES[] = {
    "a", " ", "0123456789abcdefghijklmnopqrstuvwxyz", "plain text ", "\"", "\\", "\n",
    "\r", "\t", "\b", "\f", "\x01", "\x1f", "\x7f", "/", "{\"k\":\"v\"}", "\\\"",
    "\xC3\xA9", "\xE2\x82\xAC", "\xE6\x97\xA5", "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF",
    "\xEF\xBF\xBF", "\xE2\x80\xA8", "\xFF", "\x80", "\xBF", "\xC0\x80", "\xC1\xBF",
    "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xE0\x80\xAF", "\xF0\x8F\xBF\xBF",
    "\xE2\x82", "\xC3", "\xF0\x9F\x98", "\xED", "\xF8\x90\x80\x80", "\xFE",
};

TEST(escaping_matches_a_byte_at_a_time_reference) {
    /* A fixed pseudo-random sequence, so a failure reproduces. */
    uint64_t state = 0x9E3779B97F4A7C15u;
    size_t piece_count = sizeof STRING_PIECES / sizeof STRING_PIECES[0];
    buf_t text = BUF_INIT;
    int mismatches = 0;
    for (int round = 0; round < 4000 && mismatches < 5; round++) {
        state = state * 6364136223846793005u + 1442695040888963407u;
        /* mostly short strings, some across blocks of the escaper (a few KiB) */
        size_t target = round % 100 == 0 ? (size_t)(state >> 33) % 12000
                                         : (size_t)(state >> 33) % 160;
        size_t offset = (size_t)(state >> 20) % 16; /* the string's alignment */
        buf_clear(&text);
        for (size_t k = 0; k < offset; k++) buf_putc(&text, 'x');
        while (text.len - offset < target) {
            state = state * 6364136223846793005u + 1442695040888963407u;
            buf_puts(&text, STRING_PIECES[(state >> 33) % piece_count]);
        }
        if (round % 2) buf_putc(&text, '\0'); /* NUL bytes inside strings */
        mismatches += check_against_reference(text.data + offset, text.len - offset,
                                              (size_t)(state >> 40) % 70, __LINE__);
    }
    buf_free(&text);
    CHECK_INT(mismatches, 0);
}

/* Whether the sweeps below go up to the escaper's block edges (strings of 4 to 8 KiB, the
 * costly part): for the implementation the processor uses; the others, which share the
 * block logic (escape_impl.h), are swept over the chunk edges of strings up to 100 bytes. */
static bool sweep_block_edges = true;

/* Whether the sweeps below place an insert at POSITION of a string of LEN bytes: every
 * position of short strings; of long ones, the 40 bytes at each end and around each block
 * edge, and the edges of chunks (the 3 bytes after one, the 2 before). Under AddressSanitizer
 * (the clang build of make test, where every position took three minutes) only one chunk in
 * 16 away from those ends keeps its edges; the gcc build runs every position (docs/design.md,
 * "make test time"). */
static bool position_swept(size_t position, size_t len) {
    size_t in_chunk = position % 16, in_block = position % 4096;
    if (len <= 64 || position <= 40 || position + 40 >= len || in_block <= 40 || in_block >= 4056)
        return true;
    if (in_chunk > 2 && in_chunk < 14) return false;
#if SANITIZED_BUILD
    return (position + 2) / 16 % 16 == 0;
#else
    return true;
#endif
}

/* Bytes the boundary sweep below places: escapes of each length, UTF-8 of each length, and
 * ill-formed or truncated sequences. */
static const char *const BOUNDARY_INSERTS[] = {
    "\"", "\x01", "\n", "\\", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xFF",
    "\xE2\x82", "\xF0\x9F\x98", "\xED\xA0\x80", "\x7f", "\"\"\"",
};

/* Escape runs of plain bytes of length around the escaper's chunks (8, 16, 32) and block (4096)
 * sizes with each insert at each position near the edges: specials at 15/16/17, sequences
 * split across a chunk or block edge, ill-formed bytes at the very end. */
TEST(escaping_is_right_at_chunk_and_block_boundaries) {
    static const size_t lengths[] = {1,    2,    3,    4,    7,    8,    9,    15,   16,
                                     17,   23,   24,   31,   32,   33,   47,   48,   49,
                                     63,   64,   65,   95,   96,   97,   4095, 4096, 4097, 4111, 4112, 4113, 8191, 8192, 8210};
    size_t insert_count = sizeof BOUNDARY_INSERTS / sizeof BOUNDARY_INSERTS[0];
    char *text = malloc(8210 + 8);
    int mismatches = 0;
    for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++) {
        size_t len = lengths[l];
        if (!sweep_block_edges && len > 100) continue;
        for (size_t position = 0; position < len; position++) {
            if (!position_swept(position, len)) continue;
            for (size_t k = 0; k < insert_count; k++) {
                memset(text, 'a', len);
                size_t insert_len = strlen(BOUNDARY_INSERTS[k]);
                if (insert_len > len - position) insert_len = len - position; /* cut at the end */
                memcpy(text + position, BOUNDARY_INSERTS[k], insert_len);
                mismatches += check_against_reference(text, len, position % 7, __LINE__);
            }
        }
    }
    free(text);
    CHECK_INT(mismatches, 0);
}

/* Well-formed multibyte text (three-byte characters, emoji) with an escape or, in some
 * runs, one ill-formed byte, at the lengths and positions of the sweep above, with the
 * scalar UTF-8 check and the widest this processor has (util/utf8.h): once the escaper
 * has validated the rest of a string it copies non-ASCII bytes a chunk at a time, so chunk
 * and block edges fall inside characters; the output must still equal the byte-at-a-time
 * reference. */
TEST(escaping_multibyte_text_matches_the_reference) {
    static const size_t lengths[] = {16, 17, 31, 32, 33, 48, 63, 64, 65, 100, 4095, 4096, 4097, 4113, 8210};
    static const char *const inserts[] = {"\"", "\n", "\\", "\x01", "\xF0\x9F\x98\x80", "a",
                                          "\xFF", "\xE2\x82"};
    char *text = malloc(8210 + 8);
    int mismatches = 0;
    /* the scalar check and the widest (the block checks agree with each other: test_utf8) */
    for (utf8_impl impl = UTF8_IMPL_SCALAR;; impl = utf8_impl_widest()) {
        CHECK(utf8_impl_set(impl));
        for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++) {
            size_t len = lengths[l];
            if (!sweep_block_edges && len > 100) continue;
            for (size_t position = 0; position < len; position++) {
                if (!position_swept(position, len)) continue;
                for (size_t k = 0; k < sizeof inserts / sizeof inserts[0]; k++) {
                    /* whole characters before and after the insert, ASCII to fill gaps */
                    size_t n = 0, insert_len = strlen(inserts[k]);
                    for (; n + 3 <= position; n += 3) memcpy(text + n, "\xE4\xB8\xAD", 3);
                    while (n < position) text[n++] = 'a';
                    if (insert_len > len - position) insert_len = len - position;
                    memcpy(text + n, inserts[k], insert_len);
                    for (n += insert_len; n + 3 <= len; n += 3) memcpy(text + n, "\xE4\xB8\xAD", 3);
                    while (n < len) text[n++] = 'b';
                    mismatches += check_against_reference(text, len, position % 7, __LINE__);
                }
            }
        }
        if (impl == utf8_impl_widest()) break;
    }
    CHECK(utf8_impl_set(utf8_impl_widest()));
    free(text);
    CHECK_INT(mismatches, 0);
}

TEST(long_strings_are_escaped_whole) {
    /* Longer than many blocks, dense with escapes (each grows to six bytes) */
    size_t len = 100000;
    char *controls = malloc(len);
    for (size_t k = 0; k < len; k++) controls[k] = (char)(k % 3 == 0 ? 'x' : k % 32);
    CHECK_INT(check_against_reference(controls, len, 3, __LINE__), 0);
    buf_t out = escaped(controls, len);
    CHECK(out.len > 3 * len);
    buf_free(&out);
    free(controls);
}

/* json_escape_valid_utf8 writes what json_escape_string writes for well-formed UTF-8: text
 * of every kind of character and escape, at lengths across chunk and block edges. */
TEST(escaping_vouched_utf8_matches_the_checked_escaper) {
    static const char *const pieces[] = {
        "a", " ", "plain text ", "\"", "\\", "\n", "\t", "\x01", "\x1f", "\x7f",
        "{\"k\":\"v\"}", "\xC3\xA9", "\xE2\x82\xAC", "\xE6\x97\xA5\xE6\x97\xA5\xE6\x97\xA5",
        "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF", "\xEF\xBF\xBF", "\xE2\x80\xA8", "\xD0\xBF\xD1\x80",
        /* JSON inside the string: chunks of quotes and backslashes only */
        "{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"", "\\\"", "\"\"\"\"\"\"\"\"",
        "\\\\\\\\", "\\n\\n", "\"}]},",
    };
    uint64_t state = 0xD1B54A32D192ED03u;
    buf_t text = BUF_INIT;
    int mismatches = 0;
    for (int round = 0; round < 3000; round++) {
        state = state * 6364136223846793005u + 1442695040888963407u;
        size_t target = round % 50 == 0 ? (size_t)(state >> 33) % 9000 : (size_t)(state >> 33) % 200;
        buf_clear(&text);
        while (text.len < target) {
            state = state * 6364136223846793005u + 1442695040888963407u;
            buf_puts(&text, pieces[(state >> 33) % (sizeof pieces / sizeof pieces[0])]);
        }
        buf_t want = BUF_INIT, got = BUF_INIT;
        json_escape_string(&want, text.data, text.len);
        json_escape_valid_utf8(&got, text.data, text.len);
        if (want.len != got.len || memcmp(want.data, got.data, want.len) != 0) mismatches++;
        buf_free(&want);
        buf_free(&got);
    }
    buf_free(&text);
    CHECK_INT(mismatches, 0);
}

/* The escaper's implementations (json/writer.h) are there to be compared: on x86-64 at
 * least SSE2 besides the portable one, and each can be chosen. */
TEST(every_escaper_implementation_this_processor_has_is_tested) {
#if defined(__x86_64__)
    CHECK(json_escape_impl_widest() >= JSON_ESCAPE_SSE2);
#endif
    CHECK(json_escape_impl_set(JSON_ESCAPE_PORTABLE));
    CHECK(json_escape_impl_set(json_escape_impl_widest()));
    if (json_escape_impl_widest() < JSON_ESCAPE_AVX2) CHECK(!json_escape_impl_set(JSON_ESCAPE_AVX2));
}

int main(void) {
    RUN(every_escaper_implementation_this_processor_has_is_tested);
    /* every escaping test with each implementation: portable, SSE2, AVX2 (as the processor
     * has them), each against the same byte-at-a-time reference; the block edges of long
     * strings with the widest (the one in use) */
    for (json_escape_impl impl = JSON_ESCAPE_PORTABLE; impl <= json_escape_impl_widest();
         impl++) {
        CHECK(json_escape_impl_set(impl));
        sweep_block_edges = impl == json_escape_impl_widest();
        RUN(escapes_every_control_character);
        RUN(escapes_quotes_and_backslashes_only);
        RUN(valid_utf8_passes_through_unchanged);
        RUN(invalid_utf8_bytes_become_replacement_characters);
        RUN(tricky_strings_round_trip_through_the_reader);
        RUN(output_is_valid_json_for_any_bytes);
        RUN(escaping_matches_a_byte_at_a_time_reference);
        RUN(escaping_is_right_at_chunk_and_block_boundaries);
        RUN(long_strings_are_escaped_whole);
        RUN(escaping_multibyte_text_matches_the_reference);
        RUN(escaping_vouched_utf8_matches_the_checked_escaper);
    }
    CHECK(json_escape_impl_set(json_escape_impl_widest()));
    sweep_block_edges = true;
    RUN(doubles_are_shortest_round_trip);
    RUN(costs_are_written_as_printf_would);
    RUN(short_decimals_are_written_as_printf_would);
    RUN(integers_are_exact);
    RUN(commas_are_placed_per_depth);
    RUN(nesting_up_to_the_limit_works);
    TEST_MAIN_END();
}
