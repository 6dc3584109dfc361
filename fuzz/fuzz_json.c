/* Fuzz target: the JSON reader (src/json/json.c). Parses the input as one document; when it
 * parses, walks every token through every lookup (type, raw text, unescaping, string
 * comparison, strict integers, doubles, booleans, member lookup, counting and sibling
 * iteration) and checks invariants the rest of the code relies on (a string's literal is
 * what the JSON writer writes for its value); compares the UTF-8
 * checks (scalar, SSSE3, AVX2) on the input, alone and inside the reader. */
#include <inttypes.h>
#include <string.h>

#include "fuzz_target.h"
#include "json/json.h"
#include "json/writer.h"
#include "util/reason.h"
#include "util/utf8.h"

/* Check a container's count against walking its children with json_first/json_next, and
 * that json_get finds each key of an object (the last duplicate wins, so only check that
 * the value found has that key just before it). */
static void walk_container(const json_doc *doc, int tok, arena_t *arena) {
    int count = json_count(doc, tok);
    int end = json_next(doc, tok);
    FUZZ_CHECK(end > tok && end <= doc->tok_count);
    int seen = 0;
    bool is_object = json_type_of(doc, tok) == JSON_OBJECT;
    for (int child = json_first(doc, tok); child >= 0 && child < end; seen++) {
        if (is_object) {
            FUZZ_CHECK(json_type_of(doc, child) == JSON_STRING);
            bt_str key;
            FUZZ_CHECK(json_string(doc, child, arena, &key) == 0);
            /* Keys with an embedded NUL cannot be looked up by C string. */
            if (memchr(key.ptr, '\0', key.len) == NULL) {
                int found = json_get(doc, tok, key.ptr);
                FUZZ_CHECK(found > tok && found < end);
                FUZZ_CHECK(json_string_eq(doc, found - 1, key.ptr));
            }
            child = json_next(doc, child); /* the value */
            FUZZ_CHECK(child > tok && child < end);
        }
        child = json_next(doc, child);
        FUZZ_CHECK(child <= end);
        if (child == end) child = -1;
    }
    FUZZ_CHECK(seen == count);
}

/* Exercise the scalar lookups on tok and check what they return. */
static void check_scalar(const json_doc *doc, int tok, arena_t *arena) {
    bt_str raw = json_raw(doc, tok);
    FUZZ_CHECK(raw.ptr >= doc->text && raw.ptr + raw.len <= doc->text + doc->len);
    switch (json_type_of(doc, tok)) {
    case JSON_STRING: {
        bt_str value;
        FUZZ_CHECK(json_string(doc, tok, arena, &value) == 0);
        FUZZ_CHECK(value.ptr[value.len] == '\0');
        size_t bad;
        FUZZ_CHECK(utf8_valid(value.ptr, value.len, &bad));
        if (memchr(value.ptr, '\0', value.len) == NULL)
            FUZZ_CHECK(json_string_eq(doc, tok, value.ptr));
        bt_str literal;
        if (json_string_literal(doc, tok, &literal)) { /* copied in place of the escaped value */
            buf_t escaped = {0};
            json_escape_string(&escaped, value.ptr, value.len);
            FUZZ_CHECK(literal.ptr == raw.ptr && literal.len == raw.len);
            FUZZ_CHECK(escaped.len == literal.len &&
                       memcmp(escaped.data, literal.ptr, literal.len) == 0);
            buf_free(&escaped);
        }
        int64_t number;
        FUZZ_CHECK(json_int64(doc, tok, &number) == -1);
        break;
    }
    case JSON_NUMBER: {
        int64_t number;
        double real;
        bool is_double = json_double(doc, tok, &real) == 0; /* fails beyond a double's range */
        if (json_int64(doc, tok, &number) == 0) {
            FUZZ_CHECK(is_double);
            /* A strict integer prints back as its own text ("-0" reads as 0). */
            char printed[32];
            snprintf(printed, sizeof printed, "%" PRId64, number);
            bool negative_zero = raw.len == 2 && memcmp(raw.ptr, "-0", 2) == 0;
            FUZZ_CHECK(negative_zero ||
                       (strlen(printed) == raw.len && memcmp(printed, raw.ptr, raw.len) == 0));
        }
        break;
    }
    case JSON_TRUE:
    case JSON_FALSE: {
        bool value;
        FUZZ_CHECK(json_bool(doc, tok, &value) == 0);
        FUZZ_CHECK(value == (json_type_of(doc, tok) == JSON_TRUE));
        break;
    }
    default:
        break;
    }
}

/* Every UTF-8 check this processor has (util/utf8.h) gives the scalar check's answer and
 * bad offset on text, and the reader accepts or refuses text alike, with the same reason,
 * under each. Leaves the widest check chosen. */
static void compare_utf8_checks(const char *text, size_t size, json_doc *doc) {
    char want_reason[REASON_MAX], reason[REASON_MAX];
    size_t want_bad = 0, bad = 0;
    utf8_impl_set(UTF8_IMPL_SCALAR);
    bool want = utf8_valid(text, size, &want_bad);
    int want_parse = json_parse(doc, text, size, want_reason);
    for (utf8_impl impl = UTF8_IMPL_SSSE3; impl <= utf8_impl_widest(); impl++) {
        utf8_impl_set(impl);
        FUZZ_CHECK(utf8_valid(text, size, &bad) == want);
        FUZZ_CHECK(want || bad == want_bad);
        FUZZ_CHECK(json_parse(doc, text, size, reason) == want_parse);
        FUZZ_CHECK(want_parse == 0 || strcmp(reason, want_reason) == 0);
    }
    utf8_impl_set(utf8_impl_widest());
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *text = (const char *)data;
    json_doc doc = JSON_DOC_INIT;
    arena_t arena = ARENA_INIT;
    char reason[REASON_MAX];
    compare_utf8_checks(text, size, &doc);
    /* Parse a prefix first so the second parse reuses (and may grow) the token buffer. */
    json_parse(&doc, text, size / 2, reason);
    if (json_parse(&doc, text, size, reason) != 0) {
        FUZZ_CHECK(strlen(reason) > 0 && strlen(reason) < REASON_MAX);
        goto done;
    }
    size_t bad;
    FUZZ_CHECK(utf8_valid(text, size, &bad));
    FUZZ_CHECK(doc.tok_count > 0 && json_next(&doc, 0) == doc.tok_count);
    for (int tok = 0; tok < doc.tok_count; tok++) {
        json_type type = json_type_of(&doc, tok);
        FUZZ_CHECK(type != JSON_NONE);
        if (type == JSON_OBJECT || type == JSON_ARRAY) walk_container(&doc, tok, &arena);
        else check_scalar(&doc, tok, &arena);
        /* Lookups on the wrong kind of token answer "absent", never crash. */
        bt_str ignored;
        int64_t number;
        json_get_string(&doc, tok, "custom_id", &arena, &ignored);
        json_get_int64(&doc, tok, "status_code", &number);
    }
    FUZZ_CHECK(json_type_of(&doc, -1) == JSON_NONE && json_get(&doc, -1, "a") == -1);
done:
    arena_free(&arena);
    json_doc_free(&doc);
    return 0;
}
