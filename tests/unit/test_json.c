/* Tests for the JSON reader: strict validation with reasons, lookups, iteration, unescaping,
 * numbers, and UTF-8 validation. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "json/writer.h"
#include "test.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/reason.h"
#include "util/utf8.h"

/* Parse a C string; returns json_parse's result and leaves the reason in reason. */
static int parse(json_doc *doc, const char *text, char *reason) {
    reason[0] = '\0';
    return json_parse(doc, text, strlen(text), reason);
}

/* Check that text[0..len) is rejected with exactly expected_reason. */
static void check_rejected_n(const char *text, size_t len, const char *expected_reason, int line) {
    json_doc doc = JSON_DOC_INIT;
    char reason[REASON_MAX] = "";
    int rc = json_parse(&doc, text, len, reason);
    if (rc != -1 || strcmp(reason, expected_reason) != 0) {
        fprintf(stderr, "%s:%d: parsing \"%.*s\" gave %d \"%s\", expected -1 \"%s\"\n", __FILE__,
                line, (int)(len > 60 ? 60 : len), text, rc, reason, expected_reason);
        test_failures_in_current++;
    }
    json_doc_free(&doc);
}
#define CHECK_REJECTED(text, reason) check_rejected_n((text), strlen(text), (reason), __LINE__)
#define CHECK_REJECTED_N(text, len, reason) check_rejected_n((text), (len), (reason), __LINE__)

/* Check that text parses. */
static void check_accepted(const char *text, int line) {
    json_doc doc = JSON_DOC_INIT;
    char reason[REASON_MAX] = "";
    if (parse(&doc, text, reason) != 0) {
        fprintf(stderr, "%s:%d: \"%s\" rejected: %s\n", __FILE__, line, text, reason);
        test_failures_in_current++;
    }
    json_doc_free(&doc);
}
#define CHECK_ACCEPTED(text) check_accepted((text), __LINE__)

TEST(rejects_what_jsmn_strict_lets_through) {
    CHECK_REJECTED("[1,]", "invalid JSON at byte 3: expected a value");
    CHECK_REJECTED("{\"a\":1,}", "invalid JSON at byte 7: expected a string key");
    CHECK_REJECTED("{\"a\" 1}", "invalid JSON at byte 5: expected ':'");
    CHECK_REJECTED("[1 2]", "invalid JSON at byte 3: expected ',' or ']'");
    CHECK_REJECTED("{\"a\":1 \"b\":2}", "invalid JSON at byte 7: expected ',' or '}'");
    CHECK_REJECTED("01", "invalid JSON at byte 0: invalid number");
    CHECK_REJECTED("1.", "invalid JSON at byte 0: invalid number");
    CHECK_REJECTED(".5", "invalid JSON at byte 0: expected a value");
    CHECK_REJECTED("tru", "invalid JSON at byte 0: invalid literal (expected true, false or null)");
    CHECK_REJECTED("\"\\x\"", "invalid JSON at byte 1: invalid escape in string");
    CHECK_REJECTED("{1:2}", "invalid JSON at byte 1: expected a string key");
    CHECK_REJECTED("[]]", "invalid JSON at byte 2: unexpected data after the value");
    CHECK_REJECTED("{}x", "invalid JSON at byte 2: unexpected data after the value");
}

TEST(rejects_malformed_numbers_and_literals) {
    CHECK_REJECTED("-", "invalid JSON at byte 0: invalid number");
    CHECK_REJECTED("-01", "invalid JSON at byte 0: invalid number");
    CHECK_REJECTED("[00]", "invalid JSON at byte 1: invalid number");
    CHECK_REJECTED("1e", "invalid JSON at byte 0: invalid number");
    CHECK_REJECTED("1e+", "invalid JSON at byte 0: invalid number");
    CHECK_REJECTED("1.e5", "invalid JSON at byte 0: invalid number");
    CHECK_REJECTED("[1.5.2]", "invalid JSON at byte 1: invalid number");
    CHECK_REJECTED("0x10", "invalid JSON at byte 0: invalid number");
    CHECK_REJECTED("+1", "invalid JSON at byte 0: expected a value");
    CHECK_REJECTED("NaN", "invalid JSON at byte 0: expected a value");
    CHECK_REJECTED("[Infinity]", "invalid JSON at byte 1: expected a value");
    CHECK_REJECTED("nulls", "invalid JSON at byte 0: invalid literal (expected true, false or null)");
    CHECK_REJECTED("[True]", "invalid JSON at byte 1: expected a value");
    CHECK_REJECTED("[fals]", "invalid JSON at byte 1: invalid literal (expected true, false or null)");
    CHECK_REJECTED("[true false]", "invalid JSON at byte 6: expected ',' or ']'");
}

TEST(rejects_malformed_structure) {
    CHECK_REJECTED("", "invalid JSON at byte 0: unexpected end of input");
    CHECK_REJECTED(" \n\t", "invalid JSON at byte 3: unexpected end of input");
    CHECK_REJECTED("[1,2", "invalid JSON at byte 4: unexpected end of input");
    CHECK_REJECTED("{\"a\":", "invalid JSON at byte 5: unexpected end of input");
    CHECK_REJECTED("{\"a\"", "invalid JSON at byte 4: unexpected end of input");
    CHECK_REJECTED("{\"a\":}", "invalid JSON at byte 5: expected a value");
    CHECK_REJECTED("{,}", "invalid JSON at byte 1: expected a string key");
    CHECK_REJECTED("[,1]", "invalid JSON at byte 1: expected a value");
    CHECK_REJECTED("]", "invalid JSON at byte 0: expected a value");
    CHECK_REJECTED("[1}", "invalid JSON at byte 2: expected ',' or ']'");
    CHECK_REJECTED("{\"a\":1]", "invalid JSON at byte 6: expected ',' or '}'");
    CHECK_REJECTED("{\"a\":1}}", "invalid JSON at byte 7: unexpected data after the value");
    CHECK_REJECTED("1 2", "invalid JSON at byte 2: unexpected data after the value");
    CHECK_REJECTED("{} {}", "invalid JSON at byte 3: unexpected data after the value");
    CHECK_REJECTED("{[]:1}", "invalid JSON at byte 1: expected a string key");
    CHECK_REJECTED("['a']", "invalid JSON at byte 1: expected a value");
    CHECK_REJECTED("[1,\f2]", "invalid JSON at byte 3: expected a value");     /* not JSON space */
    CHECK_REJECTED("[\xC3\xA9]", "invalid JSON at byte 1: expected a value"); /* é unquoted */
    CHECK_REJECTED_N("[1]\0", 4, "invalid JSON at byte 3: unexpected data after the value");
    CHECK_REJECTED_N("[\0]", 3, "invalid JSON at byte 1: expected a value");
}

TEST(rejects_malformed_strings) {
    CHECK_REJECTED("\"abc", "invalid JSON at byte 0: unterminated string");
    CHECK_REJECTED("[\"abc\\\"]", "invalid JSON at byte 1: unterminated string");
    CHECK_REJECTED("\"abc\\", "invalid JSON at byte 0: unterminated string");
    CHECK_REJECTED("\"\\u12", "invalid JSON at byte 0: unterminated string");
    CHECK_REJECTED("\"\\u12\"", "invalid JSON at byte 1: invalid \\u escape (needs 4 hex digits)");
    CHECK_REJECTED("\"\\u12g4\"", "invalid JSON at byte 1: invalid \\u escape (needs 4 hex digits)");
    CHECK_REJECTED("\"\\U00e9\"", "invalid JSON at byte 1: invalid escape in string");
    CHECK_REJECTED("\"\\'\"", "invalid JSON at byte 1: invalid escape in string");
    CHECK_REJECTED("\"a\tb\"", "invalid JSON at byte 2: control character in string (must be escaped)");
    CHECK_REJECTED("\"a\nb\"", "invalid JSON at byte 2: control character in string (must be escaped)");
    CHECK_REJECTED_N("\"a\0b\"", 5, "invalid JSON at byte 2: control character in string (must be escaped)");
    /* Past the eight-bytes-at-a-time scan: the offset is still exact. */
    CHECK_REJECTED("\"0123456789abcdef\x1f\"", "invalid JSON at byte 17: control character in string (must be escaped)");
    CHECK_REJECTED("\"0123456789abcdef\\q\"", "invalid JSON at byte 17: invalid escape in string");
}

TEST(rejects_invalid_utf8_with_offset) {
    CHECK_REJECTED("[\"ab\xC0\x80\"]", "invalid UTF-8 at byte 4");
    CHECK_REJECTED("\"\xED\xA0\x80\"", "invalid UTF-8 at byte 1");
    CHECK_REJECTED("\"\xE2\x82\"", "invalid UTF-8 at byte 1");
    CHECK_REJECTED("\"0123456789\x80\"", "invalid UTF-8 at byte 11");
    CHECK_REJECTED("[1,\xFF]", "invalid UTF-8 at byte 3");
}

TEST(accepts_valid_documents) {
    CHECK_ACCEPTED("0");
    CHECK_ACCEPTED("-0");
    CHECK_ACCEPTED(" 12 ");
    CHECK_ACCEPTED("1E+2");
    CHECK_ACCEPTED("-1.5e-3");
    CHECK_ACCEPTED("true");
    CHECK_ACCEPTED("null");
    CHECK_ACCEPTED("\"\"");
    CHECK_ACCEPTED("\"x\"");
    CHECK_ACCEPTED("[]");
    CHECK_ACCEPTED("{}");
    CHECK_ACCEPTED("[[],{}]");
    CHECK_ACCEPTED(" \t\r\n{ \"a\" : [ 1 , 2.5e-3 , -0 , true , false , null , \"x\" ] ,"
                   " \"b\" : { } } \t\r\n");
    CHECK_ACCEPTED("{\"a\":1}\r\n");
    CHECK_ACCEPTED("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uD83D\\uDE00 \\ud800\"");
    CHECK_ACCEPTED("\"h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF \x7f\"");
    CHECK_ACCEPTED("[0,-0,0.0,1e5,1E-5,1e+5,123456789012345678901234567890]");
}

TEST(nesting_limit_is_linear_and_exact) {
    enum { LEVELS = 200000 };
    char *deep = xmalloc(2 * LEVELS + 1);
    memset(deep, '[', LEVELS);
    memset(deep + LEVELS, ']', LEVELS);
    deep[2 * LEVELS] = '\0';
    CHECK_REJECTED(deep, "JSON nested deeper than 256 levels at byte 256");
    /* Objects count too. */
    for (int i = 0; i < 2 * LEVELS / 5; i++) memcpy(deep + 5 * i, "{\"a\":", 5);
    CHECK_REJECTED_N(deep, 2 * LEVELS, "JSON nested deeper than 256 levels at byte 1280");
    /* 256 levels are fine, and json_next skips them all. */
    memset(deep, '[', 256);
    memset(deep + 256, ']', 256);
    json_doc doc = JSON_DOC_INIT;
    char reason[REASON_MAX];
    CHECK_INT(json_parse(&doc, deep, 512, reason), 0);
    CHECK_INT(doc.tok_count, 256);
    CHECK_INT(json_next(&doc, 0), 256);
    CHECK_INT(json_next(&doc, 200), 256);
    CHECK_INT(json_first(&doc, 254), 255);
    CHECK_INT(json_first(&doc, 255), -1);
    json_doc_free(&doc);
    free(deep);
}

/* A document of more values than JSON_MAX_TOKENS (1 << 23) is refused before any token is
 * allocated: "[0,0,...,0]" with 1 << 23 zeros is one value too many. */
TEST(value_limit_bounds_token_memory) {
    size_t zeros = (size_t)1 << 23, len = 2 * zeros + 1;
    char *text = xmalloc(len + 1);
    text[0] = '[';
    for (size_t i = 0; i < zeros; i++) memcpy(text + 1 + 2 * i, "0,", 2);
    text[len - 1] = ']';
    text[len] = '\0';
    CHECK_REJECTED_N(text, len, "JSON document of 8388609 values, over the limit of 8388608");
    free(text);
}

TEST(lookups_follow_nesting) {
    json_doc doc = JSON_DOC_INIT;
    char reason[REASON_MAX];
    arena_t arena = ARENA_INIT;
    const char *text =
        "{\"id\":\"batch_1\",\"response\":{\"status_code\":200,\"body\":{\"usage\":"
        "{\"prompt_tokens\":12,\"completion_tokens\":5},\"choices\":[{\"message\":"
        "{\"content\":\"hi\"}}]}},\"error\":null}";
    CHECK_INT(parse(&doc, text, reason), 0);
    CHECK_INT(json_type_of(&doc, 0), JSON_OBJECT);
    CHECK_INT(json_count(&doc, 0), 3);
    bt_str id;
    CHECK_INT(json_get_string(&doc, 0, "id", &arena, &id), 0);
    CHECK_BTSTR(id, "batch_1");
    int response = json_get(&doc, 0, "response");
    CHECK_INT(json_type_of(&doc, response), JSON_OBJECT);
    int64_t status = 0;
    CHECK_INT(json_get_int64(&doc, response, "status_code", &status), 0);
    CHECK_INT(status, 200);
    int body = json_get(&doc, response, "body");
    int usage = json_get(&doc, body, "usage");
    int64_t completion = 0;
    CHECK_INT(json_get_int64(&doc, usage, "completion_tokens", &completion), 0);
    CHECK_INT(completion, 5);
    int choices = json_get(&doc, body, "choices");
    CHECK_INT(json_type_of(&doc, choices), JSON_ARRAY);
    CHECK_INT(json_count(&doc, choices), 1);
    int message = json_get(&doc, json_first(&doc, choices), "message");
    bt_str content;
    CHECK_INT(json_get_string(&doc, message, "content", &arena, &content), 0);
    CHECK_BTSTR(content, "hi");
    CHECK_INT(json_type_of(&doc, json_get(&doc, 0, "error")), JSON_NULL);
    /* Absent keys, keys of nested objects, lookups on non-objects. */
    CHECK_INT(json_get(&doc, 0, "status_code"), -1);
    CHECK_INT(json_get(&doc, 0, "i"), -1);
    CHECK_INT(json_get(&doc, 0, "idx"), -1);
    CHECK_INT(json_get(&doc, choices, "message"), -1);
    CHECK_INT(json_get(&doc, -1, "id"), -1);
    CHECK_INT(json_get(&doc, doc.tok_count, "id"), -1);
    CHECK_INT(json_get_string(&doc, 0, "response", &arena, &content), -1);
    CHECK_INT(json_get_int64(&doc, 0, "id", &status), -1);
    CHECK_INT(json_get_int64(&doc, 0, "missing", &status), -1);
    CHECK_INT(json_type_of(&doc, -1), JSON_NONE);
    json_doc_free(&doc);
    arena_free(&arena);
}

TEST(lookup_keys_are_compared_unescaped_and_last_duplicate_wins) {
    json_doc doc = JSON_DOC_INIT;
    char reason[REASON_MAX];
    int64_t v = 0;
    CHECK_INT(parse(&doc, "{\"a\":1,\"b\":2,\"a\":3}", reason), 0);
    CHECK_INT(json_get_int64(&doc, 0, "a", &v), 0);
    CHECK_INT(v, 3);
    const char *escaped_keys =
        "{\"\\u0061\":1,\"a\\nb\":2,\"\\n\":3,\"a\\\\u0062\":4,\"\\ud83d\\ude00\":5}";
    CHECK_INT(parse(&doc, escaped_keys, reason), 0);
    CHECK_INT(json_get_int64(&doc, 0, "a", &v), 0);
    CHECK_INT(v, 1);
    CHECK_INT(json_get_int64(&doc, 0, "a\nb", &v), 0);
    CHECK_INT(v, 2);
    CHECK_INT(json_get_int64(&doc, 0, "\n", &v), 0);
    CHECK_INT(v, 3);
    CHECK_INT(json_get(&doc, 0, "\\n"), -1);    /* the raw text of a key is not its value */
    CHECK_INT(json_get(&doc, 0, "\\u0061"), -1);
    CHECK_INT(json_get_int64(&doc, 0, "a\\u0062", &v), 0);
    CHECK_INT(v, 4);
    CHECK_INT(json_get(&doc, 0, "ab"), -1);
    CHECK_INT(json_get_int64(&doc, 0, "\xF0\x9F\x98\x80", &v), 0);
    CHECK_INT(v, 5);
    CHECK_INT(json_get(&doc, 0, "a\nbc"), -1);
    CHECK_INT(json_get(&doc, 0, ""), -1);
    CHECK(json_string_eq(&doc, 1, "a"));
    CHECK(!json_string_eq(&doc, 1, "\\u0061"));
    CHECK(!json_string_eq(&doc, 2, "a"));      /* a number */
    json_doc_free(&doc);
}

TEST(field_lookups_answer_as_json_get_in_one_scan) {
    json_doc doc = JSON_DOC_INIT;
    char reason[REASON_MAX];
    static const json_key keys[] = {
        JSON_KEY("a"), JSON_KEY("ab"), JSON_KEY("a\nb"), JSON_KEY("b"),   JSON_KEY(""),
        JSON_KEY("missing"), JSON_KEY("\xF0\x9F\x98\x80"), JSON_KEY("ba"), JSON_KEY("nested"),
    };
    enum { KEY_COUNT = sizeof keys / sizeof keys[0] };
    const char *text = "{\"a\":1,\"nested\":{\"a\":[1,{\"b\":2}]},\"a\\nb\":3,\"ab\":4,"
                       "\"\":5,\"\\u0061\":6,\"b\":7,\"\\ud83d\\ude00\":8,\"ba\":{},\"b\":9}";
    CHECK_INT(parse(&doc, text, reason), 0);
    int values[KEY_COUNT];
    json_get_fields(&doc, 0, keys, KEY_COUNT, values);
    for (int i = 0; i < KEY_COUNT; i++) {
        if (values[i] != json_get(&doc, 0, keys[i].name)) {
            fprintf(stderr, "key %d: json_get_fields %d, json_get %d\n", i, values[i],
                    json_get(&doc, 0, keys[i].name));
            test_failures_in_current++;
        }
    }
    int64_t v = 0;
    CHECK_INT(json_int64(&doc, values[0], &v), 0); /* "\u0061" came after "a": it wins */
    CHECK_INT(v, 6);
    CHECK_INT(json_int64(&doc, values[3], &v), 0); /* the last "b" */
    CHECK_INT(v, 9);
    CHECK_INT(values[5], -1);
    CHECK_INT(json_type_of(&doc, values[8]), JSON_OBJECT);
    /* Not an object: every key absent. */
    json_get_fields(&doc, values[8] + 1, keys, KEY_COUNT, values);
    for (int i = 0; i < KEY_COUNT; i++) CHECK_INT(values[i], -1);
    json_get_fields(&doc, -1, keys, 1, values);
    CHECK_INT(values[0], -1);
    json_doc_free(&doc);
}

TEST(borrowed_strings_point_into_the_text_unless_escaped) {
    json_doc doc = JSON_DOC_INIT;
    arena_t arena = ARENA_INIT;
    char reason[REASON_MAX];
    const char *text = "[\"plain caf\xC3\xA9\",\"tab\\there\",\"\",1]";
    CHECK_INT(parse(&doc, text, reason), 0);
    bt_str s = STR_NULL;
    CHECK_INT(json_string_borrowed(&doc, 1, &arena, &s), 0);
    CHECK_BTSTR(s, "plain caf\xC3\xA9");
    CHECK(s.ptr == text + 2);
    CHECK_INT(json_string_borrowed(&doc, 2, &arena, &s), 0);
    CHECK_BTSTR(s, "tab\there");
    CHECK(s.ptr < text || s.ptr >= text + strlen(text)); /* unescaped into the arena */
    CHECK_INT(json_string_borrowed(&doc, 3, &arena, &s), 0);
    CHECK_INT(s.len, 0);
    CHECK_INT(json_string_borrowed(&doc, 4, &arena, &s), -1);
    CHECK_INT(json_string_borrowed(&doc, 0, &arena, &s), -1);
    json_doc_free(&doc);
    arena_free(&arena);
}

/* Check the literal json_string_literal gives for the string body in `["body"]`: none when
 * expect_literal is false; else the quoted body, byte for byte what json_escape_string writes
 * for the unescaped value. */
static void check_literal(const char *body, bool expect_literal, int line) {
    json_doc doc = JSON_DOC_INIT;
    arena_t arena = ARENA_INIT;
    char reason[REASON_MAX];
    buf_t text = BUF_INIT, escaped = BUF_INIT;
    buf_append(&text, "[\"", 2);
    buf_append(&text, body, strlen(body));
    buf_append(&text, "\"]", 2);
    if (json_parse(&doc, text.data, text.len, reason) != 0) {
        fprintf(stderr, "%s:%d: [\"%s\"] does not parse: %s\n", __FILE__, line, body, reason);
        test_failures_in_current++;
    } else {
        bt_str literal = STR_NULL, value = STR_NULL;
        bool has_literal = json_string_literal(&doc, 1, &literal);
        CHECK_INT(json_string(&doc, 1, &arena, &value), 0);
        json_escape_string(&escaped, value.ptr, value.len);
        if (has_literal != expect_literal) {
            fprintf(stderr, "%s:%d: \"%s\" %s a literal\n", __FILE__, line, body,
                    has_literal ? "has" : "has no");
            test_failures_in_current++;
        } else if (has_literal && (literal.ptr != text.data + 1 || literal.len != escaped.len ||
                                   memcmp(literal.ptr, escaped.data, escaped.len) != 0)) {
            fprintf(stderr, "%s:%d: literal %.*s, the writer writes %.*s\n", __FILE__, line,
                    (int)literal.len, literal.ptr, (int)escaped.len, escaped.data);
            test_failures_in_current++;
        }
    }
    buf_free(&text);
    buf_free(&escaped);
    json_doc_free(&doc);
    arena_free(&arena);
}
#define CHECK_LITERAL(body, expect) check_literal((body), (expect), __LINE__)

TEST(string_literals_are_what_the_writer_writes) {
    CHECK_LITERAL("", true);
    CHECK_LITERAL("plain caf\xC3\xA9 \xE4\xB8\xAD \xF0\x9F\x98\x80 del\x7F", true);
    CHECK_LITERAL("quote \\\" backslash \\\\ \\b\\f\\n\\r\\t", true);
    CHECK_LITERAL("\\u0001 \\u001f \\u000b", true); /* controls as the writer writes them */
    CHECK_LITERAL("a\\/b", false);          /* the writer writes / */
    CHECK_LITERAL("\\u00e9", false);        /* the writer writes the character */
    CHECK_LITERAL("\\u001F", false);        /* the writer's hex digits are lowercase */
    CHECK_LITERAL("\\u000a", false);        /* the writer writes \n */
    CHECK_LITERAL("\\u0008", false);        /* the writer writes \b */
    CHECK_LITERAL("\\u0020", false);        /* the writer writes a space */
    CHECK_LITERAL("\\u007f", false);        /* the writer writes DEL as it is */
    CHECK_LITERAL("\\ud83d\\ude00", false); /* a pair: the writer writes the four bytes */
    CHECK_LITERAL("\\n\\u000a", false);
    /* Every mix of the pieces, three at a time: a literal exactly when no piece is \/ or a
     * \u escape other than a control character's in the writer's form. */
    static const char *const pieces[] = {"a", " ", "\\\"", "\\\\", "\\n", "\\t", "\\b", "\\f",
                                         "\\r", "\\/", "\\u001f", "\\u00E9", "\xC3\xA9",
                                         "\xF0\x9F\x98\x80", "\x7F", "'", "\\u0009", "\\u001B"};
    static const char *const other_forms[] = {"\\/", "\\u00E9", "\\u0009", "\\u001B"};
    enum { PIECES = sizeof pieces / sizeof pieces[0] };
    for (size_t a = 0; a < PIECES; a++)
        for (size_t b = 0; b < PIECES; b++)
            for (size_t c = 0; c < PIECES; c++) {
                char body[80];
                snprintf(body, sizeof body, "%s%s%s", pieces[a], pieces[b], pieces[c]);
                bool other_form = false;
                for (size_t k = 0; k < sizeof other_forms / sizeof other_forms[0]; k++)
                    other_form |= strstr(body, other_forms[k]) != NULL;
                check_literal(body, !other_form, __LINE__);
            }
    json_doc doc = JSON_DOC_INIT;
    char reason[REASON_MAX];
    CHECK_INT(parse(&doc, "[1,\"x\",{}]", reason), 0);
    bt_str literal = STR_NULL;
    CHECK(!json_string_literal(&doc, 1, &literal)); /* a number */
    CHECK(!json_string_literal(&doc, 3, &literal)); /* an object */
    CHECK(!json_string_literal(&doc, 9, &literal)); /* no such token */
    CHECK(json_string_literal(&doc, 2, &literal));
    CHECK_BTSTR(literal, "\"x\"");
    json_doc_free(&doc);
}

TEST(next_and_first_walk_mixed_depth) {
    json_doc doc = JSON_DOC_INIT;
    char reason[REASON_MAX];
    const char *text = "[1,[2,[3]],{\"a\":[4,5],\"b\":{}},\"s\",[]]";
    CHECK_INT(parse(&doc, text, reason), 0);
    /* tokens: 0 [ 1 1 2 [ 3 2 4 [ 5 3 6 { 7 "a" 8 [ 9 4 10 5 11 "b" 12 {} 13 "s" 14 [] */
    CHECK_INT(doc.tok_count, 15);
    CHECK_INT(json_count(&doc, 0), 5);
    int elements[5], count = 0;
    for (int e = json_first(&doc, 0); count < json_count(&doc, 0); e = json_next(&doc, e))
        elements[count++] = e;
    CHECK_INT(elements[0], 1);
    CHECK_INT(elements[1], 2);
    CHECK_INT(elements[2], 6);
    CHECK_INT(elements[3], 13);
    CHECK_INT(elements[4], 14);
    CHECK_INT(json_next(&doc, 14), 15);
    CHECK_INT(json_next(&doc, 0), 15);
    CHECK_INT(json_next(&doc, 2), 6);
    CHECK_INT(json_next(&doc, 4), 6);
    CHECK_INT(json_next(&doc, 5), 6);
    /* Object members: the key's next is its value, the value's next is the next key. */
    CHECK_INT(json_count(&doc, 6), 2);
    CHECK_INT(json_first(&doc, 6), 7);
    CHECK_INT(json_next(&doc, 7), 8);
    CHECK_INT(json_next(&doc, 8), 11);
    CHECK_INT(json_next(&doc, 11), 12);
    CHECK_INT(json_next(&doc, 12), 13);
    CHECK_INT(json_get(&doc, 6, "b"), 12);
    CHECK_INT(json_first(&doc, 12), -1);
    CHECK_INT(json_first(&doc, 14), -1);
    CHECK_INT(json_first(&doc, 1), -1);
    CHECK_INT(json_count(&doc, 1), 0);
    CHECK_INT(json_count(&doc, 13), 0);
    CHECK_INT(json_next(&doc, -1), -1);
    CHECK_INT(json_next(&doc, 15), -1);
    /* Types and raw text. */
    CHECK_INT(json_type_of(&doc, 7), JSON_STRING);
    CHECK_INT(json_type_of(&doc, 9), JSON_NUMBER);
    CHECK_BTSTR(json_raw(&doc, 6), "{\"a\":[4,5],\"b\":{}}");
    CHECK_BTSTR(json_raw(&doc, 13), "\"s\"");
    CHECK_BTSTR(json_raw(&doc, 10), "5");
    CHECK_BTSTR(json_raw(&doc, 0), text);
    CHECK_INT(json_raw(&doc, -1).len, 0);
    json_doc_free(&doc);
}

TEST(scalar_roots_are_one_token) {
    json_doc doc = JSON_DOC_INIT;
    char reason[REASON_MAX];
    int64_t v = 0;
    CHECK_INT(parse(&doc, " -42 ", reason), 0);
    CHECK_INT(doc.tok_count, 1);
    CHECK_INT(json_type_of(&doc, 0), JSON_NUMBER);
    CHECK_INT(json_int64(&doc, 0, &v), 0);
    CHECK_INT(v, -42);
    CHECK_INT(json_next(&doc, 0), 1);
    CHECK_INT(parse(&doc, "\t\"a\\tb\" ", reason), 0);
    CHECK_BTSTR(json_raw(&doc, 0), "\"a\\tb\"");
    CHECK(json_string_eq(&doc, 0, "a\tb"));
    CHECK_INT(parse(&doc, "false", reason), 0);
    bool b = true;
    CHECK_INT(json_bool(&doc, 0, &b), 0);
    CHECK(!b);
    CHECK_INT(parse(&doc, "null", reason), 0);
    CHECK_INT(json_type_of(&doc, 0), JSON_NULL);
    CHECK_INT(json_bool(&doc, 0, &b), -1);
    json_doc_free(&doc);
}

/* Unescape the string at the root of text with json_string into out. */
static int root_string(const char *text, arena_t *arena, bt_str *out) {
    json_doc doc = JSON_DOC_INIT;
    char reason[REASON_MAX];
    int rc = parse(&doc, text, reason);
    if (rc == 0) rc = json_string(&doc, 0, arena, out);
    json_doc_free(&doc);
    return rc;
}

TEST(strings_unescape_exactly) {
    arena_t arena = ARENA_INIT;
    bt_str s = STR_NULL;
    CHECK_INT(root_string("\"plain text\"", &arena, &s), 0);
    CHECK_BTSTR(s, "plain text");
    CHECK_INT(s.ptr[s.len], '\0');
    CHECK_INT(root_string("\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\"", &arena, &s), 0);
    CHECK_BTSTR(s, "a\"b\\c/d\be\ff\ng\rh\ti");
    CHECK_INT(s.ptr[s.len], '\0');
    CHECK_INT(root_string("\"\\u00e9\\u00E9\\u20ac\\u0041\"", &arena, &s), 0);
    CHECK_BTSTR(s, "\xC3\xA9\xC3\xA9\xE2\x82\xAC" "A");
    CHECK_INT(root_string("\"\\ud83d\\ude00\"", &arena, &s), 0);
    CHECK_BTSTR(s, "\xF0\x9F\x98\x80");
    CHECK_INT(root_string("\"\\uDBFF\\uDFFF\"", &arena, &s), 0);
    CHECK_BTSTR(s, "\xF4\x8F\xBF\xBF");
    CHECK_INT(root_string("\"\\u0000\"", &arena, &s), 0);
    CHECK_INT(s.len, 1);
    CHECK_INT(s.ptr[0], '\0');
    CHECK_INT(root_string("\"\"", &arena, &s), 0);
    CHECK_INT(s.len, 0);
    CHECK_INT(s.ptr[0], '\0');
    json_doc doc = JSON_DOC_INIT;
    char reason[REASON_MAX];
    CHECK_INT(parse(&doc, "[1]", reason), 0);
    CHECK_INT(json_string(&doc, 0, &arena, &s), -1);
    CHECK_INT(json_string(&doc, 1, &arena, &s), -1);
    CHECK_INT(json_string(&doc, -1, &arena, &s), -1);
    json_doc_free(&doc);
    arena_free(&arena);
}

TEST(lone_and_mismatched_surrogates_become_replacement_characters) {
    arena_t arena = ARENA_INIT;
    bt_str s = STR_NULL;
    CHECK_INT(root_string("\"\\ud83d\"", &arena, &s), 0);
    CHECK_BTSTR(s, "\xEF\xBF\xBD");
    CHECK_INT(root_string("\"\\ud83dx\"", &arena, &s), 0);
    CHECK_BTSTR(s, "\xEF\xBF\xBDx");
    CHECK_INT(root_string("\"\\ude00\"", &arena, &s), 0);
    CHECK_BTSTR(s, "\xEF\xBF\xBD");
    CHECK_INT(root_string("\"\\ude00\\ud83d\"", &arena, &s), 0);
    CHECK_BTSTR(s, "\xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK_INT(root_string("\"\\ud83d\\ud83d\\ude00\"", &arena, &s), 0);
    CHECK_BTSTR(s, "\xEF\xBF\xBD\xF0\x9F\x98\x80");
    CHECK_INT(root_string("\"\\ud83d\\u0041\"", &arena, &s), 0);
    CHECK_BTSTR(s, "\xEF\xBF\xBD" "A");
    CHECK_INT(root_string("\"\\ud83d\\n\"", &arena, &s), 0);
    CHECK_BTSTR(s, "\xEF\xBF\xBD\n");
    arena_free(&arena);
}

/* json_int64 of the root number of text; *out untouched on failure. */
static int root_int64(const char *text, int64_t *out) {
    json_doc doc = JSON_DOC_INIT;
    char reason[REASON_MAX];
    int rc = parse(&doc, text, reason);
    if (rc == 0) rc = json_int64(&doc, 0, out);
    json_doc_free(&doc);
    return rc;
}

TEST(int64_is_strict_and_never_clamps) {
    int64_t v = 7;
    CHECK_INT(root_int64("12", &v), 0);
    CHECK_INT(v, 12);
    CHECK_INT(root_int64("-0", &v), 0);
    CHECK_INT(v, 0);
    CHECK_INT(root_int64("9223372036854775807", &v), 0);
    CHECK(v == INT64_MAX);
    CHECK_INT(root_int64("-9223372036854775808", &v), 0);
    CHECK(v == INT64_MIN);
    v = 7;
    CHECK_INT(root_int64("1.0", &v), -1);
    CHECK_INT(root_int64("1e3", &v), -1);
    CHECK_INT(root_int64("9223372036854775808", &v), -1);
    CHECK_INT(root_int64("-9223372036854775809", &v), -1);
    CHECK_INT(root_int64("18446744073709551616", &v), -1);
    CHECK_INT(root_int64("99999999999999999999", &v), -1);
    CHECK_INT(root_int64("\"12\"", &v), -1);
    CHECK_INT(root_int64("true", &v), -1);
    CHECK_INT(v, 7);
}

TEST(numbers_never_read_past_their_token) {
    json_doc doc = JSON_DOC_INIT;
    char reason[REASON_MAX];
    const char digits[] = "1234567";
    CHECK_INT(json_parse(&doc, digits, 2, reason), 0);
    int64_t i = 0;
    double d = 0;
    CHECK_INT(json_int64(&doc, 0, &i), 0);
    CHECK_INT(i, 12);
    CHECK_INT(json_double(&doc, 0, &d), 0);
    CHECK(d == 12.0);
    CHECK_INT(json_parse(&doc, "[2.5]9", 5, reason), 0);
    CHECK_INT(json_double(&doc, 1, &d), 0);
    CHECK(d == 2.5);
    json_doc_free(&doc);
}

/* json_double of the root number of text. */
static int root_double(const char *text, double *out) {
    json_doc doc = JSON_DOC_INIT;
    char reason[REASON_MAX];
    int rc = parse(&doc, text, reason);
    if (rc == 0) rc = json_double(&doc, 0, out);
    json_doc_free(&doc);
    return rc;
}

TEST(doubles_parse_any_number) {
    double d = 0;
    CHECK_INT(root_double("0.1", &d), 0);
    CHECK(d == 0.1);
    CHECK_INT(root_double("1e300", &d), 0);
    CHECK(d == 1e300);
    CHECK_INT(root_double("-0", &d), 0);
    CHECK(d == 0 && signbit(d));
    CHECK_INT(root_double("-12", &d), 0);
    CHECK(d == -12.0);
    CHECK_INT(root_double("123456789.125", &d), 0);
    CHECK(d == 123456789.125);
    CHECK_INT(root_double("1e-400", &d), 0); /* underflows to zero, still a number */
    CHECK(d == 0);
    /* Short decimals (read without strtod) round exactly as strtod does. */
    static const char *const decimals[] = {
        "0.7", "0.2", "-0.3", "1", "0", "0.0", "-0.0", "1.1", "0.95", "2.675", "999999999999999",
        "0.000000000000001", "123456.789012345", "9007199254740.993", "0.1234567890123456",
        "1234567890123456", "1.7976931348623157", "00", "-7.0"};
    for (size_t i = 0; i < sizeof decimals / sizeof decimals[0]; i++) {
        if (root_double(decimals[i], &d) != 0) continue; /* "00" is not JSON: skipped */
        double expected = strtod(decimals[i], NULL);
        if (memcmp(&d, &expected, sizeof d) != 0) {
            fprintf(stderr, "%s: json_double %.17g, strtod %.17g\n", decimals[i], d, expected);
            test_failures_in_current++;
        }
    }
    d = 3;
    CHECK_INT(root_double("1e400", &d), -1); /* beyond a double */
    CHECK_INT(root_double("\"1\"", &d), -1);
    CHECK_INT(root_double("null", &d), -1);
    CHECK(d == 3);
    /* A number longer than the stack copy. */
    char long_number[300] = "0.";
    memset(long_number + 2, '0', 200);
    strcpy(long_number + 202, "15");
    CHECK_INT(root_double(long_number, &d), 0);
    CHECK(d == strtod(long_number, NULL));
    CHECK(d > 1.4e-201 && d < 1.6e-201);
}

TEST(token_buffer_is_reused_and_grows) {
    json_doc doc = JSON_DOC_INIT;
    char reason[REASON_MAX];
    enum { ELEMENTS = 100000 };
    buf_t big = BUF_INIT;
    buf_putc(&big, '[');
    for (int i = 0; i < ELEMENTS; i++) buf_printf(&big, i ? ",%d" : "%d", i);
    buf_putc(&big, ']');
    CHECK_INT(parse(&doc, "[1,2]", reason), 0);
    unsigned small_cap = doc.tok_cap;
    CHECK_INT(parse(&doc, big.data, reason), 0);
    CHECK_INT(json_count(&doc, 0), ELEMENTS);
    CHECK_INT(json_next(&doc, 0), ELEMENTS + 1);
    int64_t last = 0;
    CHECK_INT(json_int64(&doc, ELEMENTS, &last), 0);
    CHECK_INT(last, ELEMENTS - 1);
    CHECK(doc.tok_cap >= ELEMENTS + 1);
    unsigned big_cap = doc.tok_cap;
    CHECK_INT(parse(&doc, "{\"k\":[true]}", reason), 0);
    CHECK_INT(doc.tok_cap, big_cap);
    CHECK_INT(json_type_of(&doc, json_first(&doc, json_get(&doc, 0, "k"))), JSON_TRUE);
    CHECK(small_cap < big_cap);
    /* A failed parse leaves no tokens behind. */
    CHECK_INT(parse(&doc, "[1,", reason), -1);
    CHECK_INT(doc.tok_count, 0);
    CHECK_INT(json_type_of(&doc, 0), JSON_NONE);
    json_doc_free(&doc);
    buf_free(&big);
}

TEST(large_string_line_parses) {
    enum { CONTENT = 9 * 1024 * 1024 };
    buf_t line = BUF_INIT;
    buf_puts(&line, "{\"content\":\"");
    buf_grow(&line, CONTENT);
    for (size_t i = 0; i < CONTENT; i++) line.data[line.len + i] = (char)('a' + i % 26);
    line.len += CONTENT;
    buf_puts(&line, "\\n\xC3\xA9\"}");
    json_doc doc = JSON_DOC_INIT;
    char reason[REASON_MAX];
    arena_t arena = ARENA_INIT;
    CHECK_INT(json_parse(&doc, line.data, line.len, reason), 0);
    bt_str content;
    CHECK_INT(json_get_string(&doc, 0, "content", &arena, &content), 0);
    CHECK_INT(content.len, CONTENT + 3);
    CHECK(content.len == CONTENT + 3 && memcmp(content.ptr + CONTENT, "\n\xC3\xA9", 3) == 0);
    CHECK_INT(content.ptr[25], 'z');
    json_doc_free(&doc);
    arena_free(&arena);
    buf_free(&line);
}

/* utf8_valid over a byte string literal; returns the bad offset or -1 when valid. */
static long long utf8_bad(const char *bytes, size_t len) {
    size_t bad = 12345;
    return utf8_valid(bytes, len, &bad) ? -1 : (long long)bad;
}
#define UTF8_BAD(literal) utf8_bad((literal), sizeof(literal) - 1)

TEST(utf8_accepts_well_formed_sequences) {
    CHECK_INT(UTF8_BAD(""), -1);
    CHECK_INT(UTF8_BAD("plain ascii, longer than eight bytes"), -1);
    CHECK_INT(UTF8_BAD("\x00\x7f"), -1);
    CHECK_INT(UTF8_BAD("\xC2\x80"), -1);                 /* U+0080 */
    CHECK_INT(UTF8_BAD("\xDF\xBF"), -1);                 /* U+07FF */
    CHECK_INT(UTF8_BAD("\xE0\xA0\x80"), -1);             /* U+0800 */
    CHECK_INT(UTF8_BAD("\xE2\x82\xAC"), -1);             /* U+20AC */
    CHECK_INT(UTF8_BAD("\xED\x9F\xBF"), -1);             /* U+D7FF */
    CHECK_INT(UTF8_BAD("\xEE\x80\x80"), -1);             /* U+E000 */
    CHECK_INT(UTF8_BAD("\xEF\xBF\xBF"), -1);             /* U+FFFF */
    CHECK_INT(UTF8_BAD("\xF0\x90\x80\x80"), -1);         /* U+10000 */
    CHECK_INT(UTF8_BAD("\xF0\x9F\x98\x80"), -1);         /* U+1F600 */
    CHECK_INT(UTF8_BAD("\xF4\x8F\xBF\xBF"), -1);         /* U+10FFFF */
    CHECK_INT(UTF8_BAD("h\xC3\xA9llo w\xC3\xB6rld \xE6\x97\xA5\xE6\x9C\xAC"), -1);
}

TEST(utf8_rejects_ill_formed_sequences_at_their_first_byte) {
    CHECK_INT(UTF8_BAD("\xC0\x80"), 0);          /* overlong NUL */
    CHECK_INT(UTF8_BAD("\xC1\xBF"), 0);          /* overlong */
    CHECK_INT(UTF8_BAD("\xE0\x80\x80"), 0);      /* overlong */
    CHECK_INT(UTF8_BAD("\xE0\x9F\xBF"), 0);      /* overlong U+07FF */
    CHECK_INT(UTF8_BAD("\xF0\x8F\xBF\xBF"), 0);  /* overlong U+FFFF */
    CHECK_INT(UTF8_BAD("\xED\xA0\x80"), 0);      /* U+D800 */
    CHECK_INT(UTF8_BAD("\xED\xBF\xBF"), 0);      /* U+DFFF */
    CHECK_INT(UTF8_BAD("\xF4\x90\x80\x80"), 0);  /* U+110000 */
    CHECK_INT(UTF8_BAD("\xF5\x80\x80\x80"), 0);
    CHECK_INT(UTF8_BAD("\xFF"), 0);
    CHECK_INT(UTF8_BAD("\xE2\x82"), 0);          /* truncated */
    CHECK_INT(UTF8_BAD("\xF0\x9F\x98"), 0);      /* truncated */
    CHECK_INT(UTF8_BAD("\xE2\x28\xA1"), 0);      /* bad continuation */
    CHECK_INT(UTF8_BAD("\x80"), 0);              /* lone continuation */
    CHECK_INT(UTF8_BAD("ab\x80"), 2);
    CHECK_INT(UTF8_BAD("0123456789\xC3"), 10);   /* after the eight-at-a-time path */
    CHECK_INT(UTF8_BAD("\xC3\xA9\xE2\x82\xAC" "abcdefgh\xF0\x9F\x98\x80\xBF"), 17);
    CHECK(!utf8_valid("\x80", 1, NULL)); /* bad_offset may be NULL */
}

/* The block, word and byte steps all find the first non-ASCII byte: a stray continuation
 * byte, then a well-formed é followed by one, at every offset of runs up to 100 bytes. */
TEST(utf8_finds_the_bad_byte_at_every_offset) {
    char text[104];
    for (size_t len = 1; len <= 100; len++) {
        for (size_t at = 0; at < len; at++) {
            memset(text, 'a', len);
            text[at] = (char)0x80;
            CHECK_INT(utf8_bad(text, len), (long long)at);
            memset(text, 'a', len + 3);
            text[at] = (char)0xC3, text[at + 1] = (char)0xA9;
            CHECK_INT(utf8_bad(text, len + 3), -1);
            text[at + 2] = (char)0xBF;
            CHECK_INT(utf8_bad(text, len + 3), (long long)at + 2);
        }
    }
}

/* Documents with strings of random well-formed and ill-formed UTF-8, escapes and raw
 * control characters: the reader scans a string for its end and validates its UTF-8 in one
 * go (util/utf8.h: SSSE3 or AVX2 when the processor has them), and must accept exactly the
 * documents whose strings are well-formed, with the same reason, whichever check runs. */
TEST(strings_are_validated_alike_by_every_utf8_check) {
    static const char *const pieces[] = {
        "a", " ", "\xC3\xA9", "\xE4\xB8\xAD", "\xF0\x9F\x98\x80", "\\n", "\\\"", "\\u00e9",
        "\\ud83d\\ude00", "\xED\xA0\x80", "\xC0\xAF", "\xFF", "\xE2\x82", "\x01", "\x80",
    };
    uint64_t state = 0x2545F4914F6CDD1Du;
    buf_t text = BUF_INIT;
    int mismatches = 0, accepted = 0;
    for (int round = 0; round < 20000; round++) {
        state = state * 6364136223846793005u + 1442695040888963407u;
        size_t target = (size_t)(state >> 33) % 90;
        bool damaged = (state >> 20) % 3 == 0;
        buf_clear(&text);
        buf_puts(&text, "{\"k\":[\"x\",\"");
        while (text.len < target + 12) {
            state = state * 6364136223846793005u + 1442695040888963407u;
            buf_puts(&text, pieces[(state >> 33) % (damaged ? 15 : 9)]);
        }
        buf_puts(&text, "\"]}");
        char want_reason[REASON_MAX] = "", reason[REASON_MAX] = "";
        json_doc doc = JSON_DOC_INIT;
        utf8_impl_set(UTF8_IMPL_SCALAR);
        int want = json_parse(&doc, text.data, text.len, want_reason);
        accepted += want == 0;
        for (utf8_impl impl = UTF8_IMPL_SSSE3; impl <= utf8_impl_widest(); impl++) {
            utf8_impl_set(impl);
            int got = json_parse(&doc, text.data, text.len, reason);
            if (got != want || (got && strcmp(reason, want_reason) != 0)) mismatches++;
        }
        json_doc_free(&doc);
    }
    utf8_impl_set(utf8_impl_widest());
    buf_free(&text);
    CHECK_INT(mismatches, 0);
    CHECK(accepted > 5000 && accepted < 19000); /* both kinds were tried */
}

/* Parse text[0..len) with the string scan impl; the result, its reason and, when
 * accepted, every token's type and raw text, one line each, go to out. */
static void describe_parse(json_scan_impl impl, const char *text, size_t len, buf_t *out) {
    CHECK(json_scan_impl_set(impl));
    json_doc doc = JSON_DOC_INIT;
    char reason[REASON_MAX] = "";
    int rc = json_parse(&doc, text, len, reason);
    buf_clear(out);
    buf_printf(out, "%d %s\n", rc, rc ? reason : "");
    for (int tok = 0; rc == 0 && tok < doc.tok_count; tok++) {
        bt_str raw = json_raw(&doc, tok);
        buf_printf(out, "%d %zu:", (int)json_type_of(&doc, tok), raw.len);
        buf_append(out, raw.ptr, raw.len);
        buf_putc(out, '\n');
    }
    json_doc_free(&doc);
}

/* Count one mismatch when the scans disagree on text[0..len). */
static int compare_scans(const char *text, size_t len) {
    buf_t want = BUF_INIT, got = BUF_INIT;
    describe_parse(JSON_SCAN_NARROW, text, len, &want);
    int mismatches = 0;
    for (json_scan_impl impl = JSON_SCAN_AVX2; impl <= json_scan_impl_widest(); impl++) {
        describe_parse(impl, text, len, &got);
        if (got.len != want.len || memcmp(got.data, want.data, got.len) != 0) {
            if (!mismatches)
                fprintf(stderr, "scan %d differs on %.*s\n", (int)impl, (int)(len > 200 ? 200 : len),
                        text);
            mismatches++;
        }
    }
    CHECK(json_scan_impl_set(json_scan_impl_widest()));
    buf_free(&want);
    buf_free(&got);
    return mismatches;
}

/* The tokenizer's string scans (json.h: swar.h's, and AVX2 through long strings where the
 * processor has it) find the same tokens, reasons and verdicts: every stop byte at every
 * position of strings around the 16-, 32- and 64-byte edges, and random strings of plain
 * runs, escapes, multibyte text (dense enough to switch to the block UTF-8 check) and
 * damage, up to a few hundred bytes. */
TEST(string_scans_agree_on_every_document) {
    static const char *const stops[] = {"\"", "\\n", "\\u00e9", "\x01", "\xC3\xA9",
                                        "\xE4\xB8\xAD", "\xF0\x9F\x98\x80", "\xFF",
                                        "\xE2\x82", "\x7f", "\\", "\n"};
    buf_t text = BUF_INIT;
    int mismatches = 0;
    for (size_t len = 0; len < 140; len++) {
        for (size_t position = 0; position < len; position++) {
            for (size_t k = 0; k < sizeof stops / sizeof stops[0]; k++) {
                buf_clear(&text);
                buf_puts(&text, "{\"k\":\"");
                for (size_t n = 0; n < position; n++) buf_putc(&text, (char)('a' + n % 26));
                buf_puts(&text, stops[k]);
                for (size_t n = position; n < len; n++) buf_putc(&text, 'z');
                buf_puts(&text, "\",\"n\":1}");
                mismatches += compare_scans(text.data, text.len);
            }
        }
    }
    static const char *const pieces[] = {
        "a", "plain text of some length ", "\xC3\xA9", "\xE4\xB8\xAD\xE4\xB8\xAD",
        "\xF0\x9F\x98\x80", "\\n", "\\\"", "\\u00e9", "\\ud83d\\ude00", "\xED\xA0\x80", "\xFF",
        "\x01", "\"", "\xE2\x82",
    };
    uint64_t state = 0x9E3779B97F4A7C15u;
    for (int round = 0; round < 20000; round++) {
        state = state * 6364136223846793005u + 1442695040888963407u;
        size_t target = (size_t)(state >> 33) % 400;
        bool damaged = (state >> 20) % 4 == 0;
        buf_clear(&text);
        buf_puts(&text, "[\"");
        while (text.len < target + 2) {
            state = state * 6364136223846793005u + 1442695040888963407u;
            buf_puts(&text, pieces[(state >> 33) % (damaged ? 14 : 9)]);
        }
        buf_puts(&text, "\",\"tail\"]");
        mismatches += compare_scans(text.data, text.len);
    }
    buf_free(&text);
    CHECK_INT(mismatches, 0);
}

int main(void) {
    RUN(strings_are_validated_alike_by_every_utf8_check);
    RUN(string_scans_agree_on_every_document);
    RUN(rejects_what_jsmn_strict_lets_through);
    RUN(rejects_malformed_numbers_and_literals);
    RUN(rejects_malformed_structure);
    RUN(rejects_malformed_strings);
    RUN(rejects_invalid_utf8_with_offset);
    RUN(accepts_valid_documents);
    RUN(nesting_limit_is_linear_and_exact);
    RUN(value_limit_bounds_token_memory);
    RUN(lookups_follow_nesting);
    RUN(lookup_keys_are_compared_unescaped_and_last_duplicate_wins);
    RUN(field_lookups_answer_as_json_get_in_one_scan);
    RUN(borrowed_strings_point_into_the_text_unless_escaped);
    RUN(string_literals_are_what_the_writer_writes);
    RUN(next_and_first_walk_mixed_depth);
    RUN(scalar_roots_are_one_token);
    RUN(strings_unescape_exactly);
    RUN(lone_and_mismatched_surrogates_become_replacement_characters);
    RUN(int64_is_strict_and_never_clamps);
    RUN(numbers_never_read_past_their_token);
    RUN(doubles_parse_any_number);
    RUN(token_buffer_is_reused_and_grows);
    RUN(large_string_line_parses);
    RUN(utf8_accepts_well_formed_sequences);
    RUN(utf8_rejects_ill_formed_sequences_at_their_first_byte);
    RUN(utf8_finds_the_bad_byte_at_every_offset);
    TEST_MAIN_END();
}
