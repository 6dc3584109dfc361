/* Tests of the attribute size limit (span/limit.h): what is cut, where, and how the span is
 * marked; cut JSON documents stay valid JSON. */
#include "json/json.h"
#include "span/limit.h"
#include "test.h"
#include "util/arena.h"
#include "util/reason.h"

/* True when value parses as one JSON document. */
static bool parses(bt_str value) {
    json_doc doc = JSON_DOC_INIT;
    char reason[REASON_MAX];
    bool ok = json_parse(&doc, value.ptr, value.len, reason) == 0;
    json_doc_free(&doc);
    return ok;
}

TEST(nothing_is_cut_or_marked_within_the_limit) {
    arena_t a = ARENA_INIT;
    span_t span;
    span_init(&span, &a);
    span_attr_cstr(&span, "short", "exactly sixteen!");
    span_attr_int(&span, "number", 123456789012345);
    CHECK(!span_limit_values(&span, 16));
    CHECK_INT(span.attr_count, 2);
    CHECK_BTSTR(span.attrs[0].s, "exactly sixteen!");
    arena_free(&a);
}

TEST(text_is_cut_at_a_character_boundary_and_the_span_marked) {
    arena_t a = ARENA_INIT;
    span_t span;
    span_init(&span, &a);
    /* "é" is two bytes: 17 bytes would split the ninth. */
    span_attr_cstr(&span, "text", "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
                                  "\xC3\xA9\xC3\xA9\xC3\xA9");
    span_attr_cstr(&span, "brace", "{not json, just text that is long}");
    CHECK(span_limit_values(&span, 17));
    CHECK_INT(span.attr_count, 3);
    CHECK_BTSTR(span.attrs[0].s, "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"
                                 "\xC3\xA9");
    CHECK_BTSTR(span.attrs[1].s, "{not json, just t");
    CHECK(strcmp(span.attrs[2].key, "batchtrace.truncated") == 0);
    CHECK_INT(span.attrs[2].type, ATTR_BOOL);
    CHECK(span.attrs[2].b);
    arena_free(&a);
}

/* An event's attribute values (an exception's message) are bounded as the span's are. */
TEST(event_attributes_are_cut_and_the_span_marked) {
    arena_t a = ARENA_INIT;
    span_t span;
    span_init(&span, &a);
    span_attr message = {.key = "exception.message", .type = ATTR_STRING,
                         .s = STR_LIT("a provider message longer than the limit")};
    span_add_event(&span, "exception", 1, &message, 1);
    CHECK(span_limit_values(&span, 16));
    CHECK_BTSTR(span.events[0].attrs[0].s, "a provider messa");
    CHECK_INT(span.attr_count, 1);
    CHECK(strcmp(span.attrs[0].key, "batchtrace.truncated") == 0);
    arena_free(&a);
}

TEST(a_json_document_becomes_a_json_string_that_fits) {
    arena_t a = ARENA_INIT;
    span_t span;
    span_init(&span, &a);
    span_attr_cstr(&span, "braintrust.input_json",
                   "[{\"role\":\"user\",\"content\":\"line\\none\"}]");
    CHECK(span_limit_values(&span, 24));
    bt_str cut = span.attrs[0].s;
    /* The escaped text is "[{\"role\":\"user\",..." and an escape is never split. */
    CHECK_BTSTR(cut, "\"[{\\\"role\\\":\\\"user\\\",\\\"\"");
    CHECK(cut.len <= 24);
    CHECK(parses(cut));
    arena_free(&a);
}

TEST(every_limit_keeps_a_cut_json_document_valid) {
    static const char document[] =
        "{\"text\":\"caf\xC3\xA9 \\\"quoted\\\" \\\\ tab\\t ctrl\\u0001 \xF0\x9F\x98\x80\"}";
    arena_t a = ARENA_INIT;
    for (size_t limit = SPAN_LIMIT_MIN_BYTES; limit < sizeof document + 40; limit++) {
        span_t span;
        span_init(&span, &a);
        span_attr_cstr(&span, "doc", document);
        bool cut = span_limit_values(&span, limit);
        CHECK(cut == (sizeof document - 1 > limit));
        CHECK(span.attrs[0].s.len <= (cut ? limit : sizeof document - 1));
        CHECK(parses(span.attrs[0].s));
    }
    arena_free(&a);
}

TEST(string_array_elements_are_cut_in_a_copy) {
    arena_t a = ARENA_INIT;
    bt_str values[2] = {STR_LIT("short"), STR_LIT("a stop sequence far too long")};
    span_t span;
    span_init(&span, &a);
    span_attr_strs(&span, "stops", values, 2);
    CHECK(span_limit_values(&span, 16));
    CHECK_BTSTR(span.attrs[0].array[0], "short");
    CHECK_BTSTR(span.attrs[0].array[1], "a stop sequence ");
    CHECK_BTSTR(values[1], "a stop sequence far too long"); /* the borrowed array is intact */
    CHECK(span_attr_find(&span, "batchtrace.truncated") != NULL);
    arena_free(&a);
}

/* A value vouched for as well-formed UTF-8 (span_attr_str_valid_utf8) loses the mark when
 * it is cut: the cut text is not what was vouched for; one within the limit keeps it. */
TEST(a_cut_value_is_no_longer_vouched_for) {
    arena_t a = ARENA_INIT;
    span_t span;
    span_init(&span, &a);
    span_attr_str_valid_utf8(&span, "long", STR_LIT("[{\"content\":\"caf\xC3\xA9 au lait\"}]"));
    span_attr_str_valid_utf8(&span, "short", STR_LIT("[]"));
    CHECK(span.attrs[0].utf8_known_valid && span.attrs[1].utf8_known_valid);
    CHECK(span_limit_values(&span, 16));
    CHECK(!span.attrs[0].utf8_known_valid);
    CHECK(span.attrs[1].utf8_known_valid);
    CHECK(parses(span.attrs[0].s));
    arena_free(&a);
}

int main(void) {
    RUN(nothing_is_cut_or_marked_within_the_limit);
    RUN(text_is_cut_at_a_character_boundary_and_the_span_marked);
    RUN(event_attributes_are_cut_and_the_span_marked);
    RUN(a_json_document_becomes_a_json_string_that_fits);
    RUN(every_limit_keeps_a_cut_json_document_valid);
    RUN(string_array_elements_are_cut_in_a_copy);
    RUN(a_cut_value_is_no_longer_vouched_for);
    TEST_MAIN_END();
}
