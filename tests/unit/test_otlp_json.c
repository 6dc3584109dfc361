/* The OTLP/JSON encoder: the exact text of requests. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "export/otlp_json.h"
#include "json/json.h"
#include "test.h"
#include "vouched_span.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/reason.h"

/* A span with every attribute type, a parent, flags and an error status. */
static void sample_span(span_t *span, arena_t *arena) {
    static const bt_str array[2] = {{"x", 1}, {"yz", 2}};
    span_init(span, arena);
    for (int i = 0; i < 16; i++) span->trace_id[i] = (uint8_t)(0x01 + i);
    for (int i = 0; i < 8; i++) span->span_id[i] = (uint8_t)(0xA1 + i);
    for (int i = 0; i < 8; i++) span->parent_span_id[i] = (uint8_t)(0x31 + i);
    span->has_parent = true;
    span->flags = 1;
    span->name = STR_LIT("chat m");
    span->kind = SPAN_KIND_CLIENT;
    span->start_ns = 1767225600000000000u; /* 2026-01-01T00:00:00Z */
    span->end_ns = 1767225601234000000u;
    span_attr_cstr(span, "s", "hi");
    span_attr_int(span, "i", 12);
    span_attr_int(span, "n", INT64_MIN);
    span_attr_double(span, "d", 1.5);
    span_attr_bool(span, "b", true);
    span_attr_strs(span, "a", array, 2);
    span->status = SPAN_STATUS_ERROR;
    span->status_message = STR_LIT("bad \"quote\"");
}

static const char sample_span_json[] =
    "{\"traceId\":\"0102030405060708090a0b0c0d0e0f10\",\"spanId\":\"a1a2a3a4a5a6a7a8\","
    "\"parentSpanId\":\"3132333435363738\",\"name\":\"chat m\",\"kind\":3,"
    "\"startTimeUnixNano\":\"1767225600000000000\",\"endTimeUnixNano\":\"1767225601234000000\","
    "\"attributes\":["
    "{\"key\":\"s\",\"value\":{\"stringValue\":\"hi\"}},"
    "{\"key\":\"i\",\"value\":{\"intValue\":\"12\"}},"
    "{\"key\":\"n\",\"value\":{\"intValue\":\"-9223372036854775808\"}},"
    "{\"key\":\"d\",\"value\":{\"doubleValue\":1.5}},"
    "{\"key\":\"b\",\"value\":{\"boolValue\":true}},"
    "{\"key\":\"a\",\"value\":{\"arrayValue\":{\"values\":[{\"stringValue\":\"x\"},"
    "{\"stringValue\":\"yz\"}]}}}],"
    "\"status\":{\"message\":\"bad \\\"quote\\\"\",\"code\":2},\"flags\":1}";

TEST(span_object_uses_otlp_json_mapping) {
    arena_t arena = ARENA_INIT;
    span_t span;
    sample_span(&span, &arena);
    buf_t out = BUF_INIT;
    otlp_json_encode_span(&out, &span);
    CHECK_STRN(out.data, out.len, sample_span_json);
    buf_free(&out);
    arena_free(&arena);
}

/* An event: {"timeUnixNano", "name", "attributes"} in "events", after the attributes. */
TEST(event_is_an_object_in_events) {
    arena_t arena = ARENA_INIT;
    span_t span;
    span_init(&span, &arena);
    span.name = STR_LIT("n");
    span_attr message = {.key = "exception.message", .type = ATTR_STRING, .s = STR_LIT("x")};
    span_add_event(&span, "exception", 9, &message, 1);
    buf_t out = BUF_INIT;
    otlp_json_encode_span(&out, &span);
    CHECK_STRN(out.data, out.len,
               "{\"traceId\":\"00000000000000000000000000000000\",\"spanId\":\"0000000000000000\","
               "\"name\":\"n\",\"startTimeUnixNano\":\"0\",\"endTimeUnixNano\":\"0\","
               "\"attributes\":[],\"events\":[{\"timeUnixNano\":\"9\",\"name\":\"exception\","
               "\"attributes\":[{\"key\":\"exception.message\",\"value\":{\"stringValue\":"
               "\"x\"}}]}]}");
    buf_free(&out);
    arena_free(&arena);
}

TEST(request_text_is_exact) {
    arena_t arena = ARENA_INIT;
    span_t span;
    sample_span(&span, &arena);
    span_attr resource_attr = {.key = "service.name", .type = ATTR_STRING, .s = STR_LIT("svc")};
    span_resource resource = {&resource_attr, 1, "batchtrace", "0.1.0"};
    otlp_json_request req;
    otlp_json_request_init(&req, &resource);
    buf_t span_json = BUF_INIT;
    otlp_json_encode_span(&span_json, &span);
    otlp_json_request_add(&req, (bt_str){span_json.data, span_json.len});
    otlp_json_request_add(&req, (bt_str){span_json.data, span_json.len});
    CHECK_INT(otlp_json_request_span_bytes(&req), 2 * span_json.len + 1);
    bt_str request = otlp_json_request_finish(&req);

    buf_t expected = BUF_INIT;
    buf_puts(&expected,
             "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\","
             "\"value\":{\"stringValue\":\"svc\"}}]},\"scopeSpans\":[{\"scope\":{\"name\":"
             "\"batchtrace\",\"version\":\"0.1.0\"},\"spans\":[");
    buf_puts(&expected, sample_span_json);
    buf_putc(&expected, ',');
    buf_puts(&expected, sample_span_json);
    buf_puts(&expected, "]}]}]}");
    CHECK_STRN(request.ptr, request.len, expected.data);

    /* After a reset, the next request holds only what is added next. */
    otlp_json_request_reset(&req);
    CHECK_INT(req.span_count, 0);
    request = otlp_json_request_finish(&req);
    CHECK_STRN(request.ptr, request.len,
               "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\","
               "\"value\":{\"stringValue\":\"svc\"}}]},\"scopeSpans\":[{\"scope\":{\"name\":"
               "\"batchtrace\",\"version\":\"0.1.0\"},\"spans\":[]}]}]}");

    buf_free(&expected);
    buf_free(&span_json);
    otlp_json_request_free(&req);
    arena_free(&arena);
}

TEST(root_span_without_status_kind_or_flags_leaves_them_out) {
    arena_t arena = ARENA_INIT;
    span_t span;
    span_init(&span, &arena);
    span.trace_id[15] = 0xff;
    span.span_id[0] = 0x10;
    buf_t out = BUF_INIT;
    otlp_json_encode_span(&out, &span);
    CHECK_STRN(out.data, out.len,
               "{\"traceId\":\"000000000000000000000000000000ff\",\"spanId\":\"1000000000000000\","
               "\"name\":\"\",\"startTimeUnixNano\":\"0\",\"endTimeUnixNano\":\"0\","
               "\"attributes\":[]}");
    buf_free(&out);
    arena_free(&arena);
}

TEST(non_finite_doubles_and_bad_utf8_stay_valid_json) {
    arena_t arena = ARENA_INIT;
    span_t span;
    span_init(&span, &arena);
    span_attr_double(&span, "nan", NAN);
    span_attr_double(&span, "inf", -INFINITY);
    span_attr_str(&span, "bad", (bt_str){"a\xC3" "\n", 3});
    buf_t out = BUF_INIT;
    otlp_json_encode_span(&out, &span);
    const char *attrs = strstr(out.data, "\"attributes\"");
    CHECK(attrs != NULL);
    if (attrs)
        CHECK_STR(attrs, "\"attributes\":[{\"key\":\"nan\",\"value\":{\"doubleValue\":\"NaN\"}},"
                         "{\"key\":\"inf\",\"value\":{\"doubleValue\":\"-Infinity\"}},"
                         "{\"key\":\"bad\",\"value\":{\"stringValue\":\"a\xEF\xBF\xBD\\n\"}}]}");
    json_doc doc = JSON_DOC_INIT;
    char reason[REASON_MAX];
    CHECK_INT(json_parse(&doc, out.data, out.len, reason), 0);
    json_doc_free(&doc);
    buf_free(&out);
    arena_free(&arena);
}

/* A string attribute vouched for as well-formed UTF-8 (the GenAI message JSON) is encoded
 * byte for byte as the same value without the mark. */
TEST(vouched_utf8_values_encode_as_unvouched_ones) {
    static const char value[] =
        "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"\xE4\xB8\xAD"
        "\xE6\x96\x87 \xD0\xBF\xD1\x80\xD0\xB8 \xF0\x9F\x98\x80 line\\none \\\"q\\\" tab\\t "
        "\xE4\xB8\xAD\xE6\x96\x87\xE4\xB8\xAD\xE6\x96\x87\xE4\xB8\xAD\xE6\x96\x87\xE4\xB8\xAD"
        "\xE6\x96\x87 and more text after it to cross a chunk or two\"}]}]";
    buf_t plain = BUF_INIT, vouched = BUF_INIT;
    encode_plain_and_vouched(otlp_json_encode_span, STR_LIT(value), &plain, &vouched);
    CHECK_STRN(vouched.data, vouched.len, buf_cstr(&plain));
    buf_free(&plain);
    buf_free(&vouched);
}

int main(void) {
    RUN(span_object_uses_otlp_json_mapping);
    RUN(event_is_an_object_in_events);
    RUN(request_text_is_exact);
    RUN(root_span_without_status_kind_or_flags_leaves_them_out);
    RUN(non_finite_doubles_and_bad_utf8_stay_valid_json);
    RUN(vouched_utf8_values_encode_as_unvouched_ones);
    TEST_MAIN_END();
}
