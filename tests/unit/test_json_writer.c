/* Tests for the JSON writer: escaping, replacement of invalid UTF-8, numbers, comma
 * placement, and round trips through the reader. */
#include <float.h>
#include <math.h>

#include "json/json.h"
#include "json/writer.h"
#include "test.h"
#include "util/reason.h"

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

int main(void) {
    RUN(escapes_every_control_character);
    RUN(escapes_quotes_and_backslashes_only);
    RUN(valid_utf8_passes_through_unchanged);
    RUN(invalid_utf8_bytes_become_replacement_characters);
    RUN(doubles_are_shortest_round_trip);
    RUN(integers_are_exact);
    RUN(commas_are_placed_per_depth);
    RUN(nesting_up_to_the_limit_works);
    RUN(tricky_strings_round_trip_through_the_reader);
    RUN(output_is_valid_json_for_any_bytes);
    TEST_MAIN_END();
}
