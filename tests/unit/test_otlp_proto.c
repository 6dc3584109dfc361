/* The OTLP protobuf encoder, byte for byte. Expected bytes are derived by hand in the
 * comments from the field numbers of trace.proto / common.proto / resource.proto /
 * trace_service.proto: a field key is (field_number << 3) | wire_type, with wire types
 * 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "export/otlp_proto.h"
#include "test.h"
#include "vouched_span.h"
#include "util/arena.h"
#include "util/buf.h"

/* The sample span used throughout (see sample_span_bytes for its encoding). */
static void sample_span(span_t *span, arena_t *arena) {
    static const bt_str array[2] = {{"x", 1}, {"yz", 2}};
    span_init(span, arena);
    for (int i = 0; i < 16; i++) span->trace_id[i] = (uint8_t)(0x01 + i);
    for (int i = 0; i < 8; i++) span->span_id[i] = (uint8_t)(0x21 + i);
    for (int i = 0; i < 8; i++) span->parent_span_id[i] = (uint8_t)(0x31 + i);
    span->has_parent = true;
    span->flags = 1;
    span->name = STR_LIT("chat m");
    span->kind = SPAN_KIND_CLIENT;
    span->start_ns = 1000000000u;  /* 0x3B9ACA00 */
    span->end_ns = 2500000000u;    /* 0x9502F900 */
    span_attr_cstr(span, "s", "hi");
    span_attr_int(span, "i", 12);
    span_attr_int(span, "n", -2);
    span_attr_double(span, "d", 1.5);
    span_attr_bool(span, "b", true);
    span_attr_strs(span, "a", array, 2);
    span->status = SPAN_STATUS_ERROR;
    span->status_message = STR_LIT("bad");
}

/* The Span message of sample_span, field by field (164 bytes). */
static const uint8_t sample_span_bytes[] = {
    /* trace_id(1) bytes: key 1<<3|2 = 0x0A, length 16, bytes 01..10        18 bytes */
    0x0A, 0x10, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C,
    0x0D, 0x0E, 0x0F, 0x10,
    /* span_id(2): key 2<<3|2 = 0x12, length 8                               10 bytes */
    0x12, 0x08, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,
    /* parent_span_id(4): key 4<<3|2 = 0x22, length 8                        10 bytes */
    0x22, 0x08, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38,
    /* name(5): key 5<<3|2 = 0x2A, length 6, "chat m"                         8 bytes */
    0x2A, 0x06, 'c', 'h', 'a', 't', ' ', 'm',
    /* kind(6) varint: key 6<<3|0 = 0x30, CLIENT = 3                          2 bytes */
    0x30, 0x03,
    /* start_time_unix_nano(7) fixed64: key 7<<3|1 = 0x39, 1e9 = 0x3B9ACA00 LE  9 bytes */
    0x39, 0x00, 0xCA, 0x9A, 0x3B, 0x00, 0x00, 0x00, 0x00,
    /* end_time_unix_nano(8) fixed64: key 8<<3|1 = 0x41, 2.5e9 = 0x9502F900 LE 9 bytes */
    0x41, 0x00, 0xF9, 0x02, 0x95, 0x00, 0x00, 0x00, 0x00,
    /* attributes(9): key 9<<3|2 = 0x4A, then a KeyValue {key(1) 0x0A, value(2) 0x12
     * AnyValue}. "s"="hi": AnyValue {string_value(1) 0x0A 02 "hi"} = 4 bytes;
     * KeyValue = 0A 01 "s" + 12 04 [4] = 9 bytes                            11 bytes */
    0x4A, 0x09, 0x0A, 0x01, 's', 0x12, 0x04, 0x0A, 0x02, 'h', 'i',
    /* "i"=12: AnyValue {int_value(3) key 3<<3|0 = 0x18, 12} = 2; KeyValue = 7  9 bytes */
    0x4A, 0x07, 0x0A, 0x01, 'i', 0x12, 0x02, 0x18, 0x0C,
    /* "n"=-2: int64 -2 as a varint is the 64-bit two's complement 0xFFFFFFFFFFFFFFFE in
     * 7-bit groups: FE FF FF FF FF FF FF FF FF 01 (10 bytes); AnyValue = 11,
     * KeyValue = 0A 01 "n" 12 0B [11] = 16                                   18 bytes */
    0x4A, 0x10, 0x0A, 0x01, 'n', 0x12, 0x0B, 0x18, 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0x01,
    /* "d"=1.5: AnyValue {double_value(4) key 4<<3|1 = 0x21, IEEE 754 0x3FF8000000000000
     * little-endian} = 9; KeyValue = 14                                      16 bytes */
    0x4A, 0x0E, 0x0A, 0x01, 'd', 0x12, 0x09, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xF8, 0x3F,
    /* "b"=true: AnyValue {bool_value(2) key 2<<3|0 = 0x10, 1} = 2; KeyValue = 7  9 bytes */
    0x4A, 0x07, 0x0A, 0x01, 'b', 0x12, 0x02, 0x10, 0x01,
    /* "a"=["x","yz"]: AnyValue {array_value(5) key 5<<3|2 = 0x2A, ArrayValue {values(1)
     * 0x0A AnyValue...}}. Elements: AnyValue 0A 01 "x" (3) -> 0A 03 [3] = 5 bytes;
     * AnyValue 0A 02 "yz" (4) -> 0A 04 [4] = 6 bytes. ArrayValue = 11, AnyValue =
     * 2A 0B [11] = 13, KeyValue = 0A 01 "a" 12 0D [13] = 18                   20 bytes */
    0x4A, 0x12, 0x0A, 0x01, 'a', 0x12, 0x0D, 0x2A, 0x0B, 0x0A, 0x03, 0x0A, 0x01, 'x',
    0x0A, 0x04, 0x0A, 0x02, 'y', 'z',
    /* status(15): key 15<<3|2 = 0x7A, Status {message(2) 0x12 03 "bad", code(3) varint
     * key 0x18, ERROR = 2} = 7 bytes                                          9 bytes */
    0x7A, 0x07, 0x12, 0x03, 'b', 'a', 'd', 0x18, 0x02,
    /* flags(16) fixed32: key 16<<3|5 = 133 = varint 85 01, value 1 LE         6 bytes */
    0x85, 0x01, 0x01, 0x00, 0x00, 0x00,
};

/* Print where two byte strings first differ, to make a failure readable. */
static void show_difference(const uint8_t *actual, size_t actual_len, const uint8_t *expected,
                            size_t expected_len) {
    size_t n = actual_len < expected_len ? actual_len : expected_len;
    for (size_t i = 0; i < n; i++) {
        if (actual[i] != expected[i]) {
            fprintf(stderr, "  first difference at byte %zu: 0x%02X, expected 0x%02X\n", i,
                    actual[i], expected[i]);
            return;
        }
    }
    fprintf(stderr, "  lengths %zu and %zu\n", actual_len, expected_len);
}

#define CHECK_BYTES(actual, actual_len, expected, expected_len)                           \
    do {                                                                                  \
        const uint8_t *a_ = (const uint8_t *)(actual);                                    \
        size_t al_ = (actual_len), el_ = (expected_len);                                  \
        CHECK(al_ == el_ && memcmp(a_, (expected), el_) == 0);                            \
        if (al_ != el_ || memcmp(a_, (expected), el_) != 0)                               \
            show_difference(a_, al_, (expected), el_);                                    \
    } while (0)

TEST(span_message_has_every_field_as_derived_by_hand) {
    arena_t arena = ARENA_INIT;
    span_t span;
    sample_span(&span, &arena);
    buf_t out = BUF_INIT;
    otlp_proto_encode_span(&out, &span);
    CHECK_INT(sizeof sample_span_bytes, 164);
    CHECK_BYTES(out.data, out.len, sample_span_bytes, sizeof sample_span_bytes);
    buf_free(&out);
    arena_free(&arena);
}

TEST(root_span_with_unset_status_leaves_out_parent_status_kind_and_flags) {
    arena_t arena = ARENA_INIT;
    span_t span;
    span_init(&span, &arena);
    span.trace_id[15] = 1;
    span.span_id[7] = 2;
    span.name = STR_LIT("t");
    span.start_ns = 5;
    span.end_ns = 6;
    buf_t out = BUF_INIT;
    otlp_proto_encode_span(&out, &span);
    static const uint8_t expected[] = {
        0x0A, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, /* trace_id */
        0x12, 0x08, 0, 0, 0, 0, 0, 0, 0, 0x02,                         /* span_id */
        0x2A, 0x01, 't',                                               /* name */
        0x39, 0x05, 0, 0, 0, 0, 0, 0, 0,                               /* start 5 */
        0x41, 0x06, 0, 0, 0, 0, 0, 0, 0,                               /* end 6 */
    };
    CHECK_BYTES(out.data, out.len, expected, sizeof expected);
    buf_free(&out);
    arena_free(&arena);
}

TEST(status_with_only_a_message_is_written_without_a_code) {
    arena_t arena = ARENA_INIT;
    span_t span;
    span_init(&span, &arena);
    span.status_message = STR_LIT("m");
    buf_t out = BUF_INIT;
    otlp_proto_encode_span(&out, &span);
    /* ids (18 + 10), no name, start and end (9 + 9), then status 7A 03 {12 01 "m"} */
    static const uint8_t status[] = {0x7A, 0x03, 0x12, 0x01, 'm'};
    CHECK_INT(out.len, 18 + 10 + 9 + 9 + 5);
    CHECK_BYTES(out.data + out.len - 5, 5, status, sizeof status);
    buf_free(&out);
    arena_free(&arena);
}

/* An event (Span.events = 11) between the attributes (9) and the status (15): time fixed64
 * (field 1), name (2), one KeyValue attribute (3). Bytes derived by hand. */
TEST(event_is_written_after_attributes_and_before_status) {
    arena_t arena = ARENA_INIT;
    span_t span;
    span_init(&span, &arena);
    span.status = SPAN_STATUS_ERROR;
    span_attr type = {.key = "t", .type = ATTR_STRING, .s = STR_LIT("e")};
    span_add_event(&span, "ex", 7, &type, 1);
    buf_t out = BUF_INIT;
    otlp_proto_encode_span(&out, &span);
    static const uint8_t tail[] = {
        0x5A, 0x17,                                   /* events(11), 23 bytes */
        0x09, 0x07, 0, 0, 0, 0, 0, 0, 0,              /* time_unix_nano 7 */
        0x12, 0x02, 'e', 'x',                         /* name "ex" */
        0x1A, 0x08, 0x0A, 0x01, 't', 0x12, 0x03, 0x0A, 0x01, 'e', /* {"t": "e"} */
        0x7A, 0x02, 0x18, 0x02,                       /* status {code 2} */
    };
    CHECK_INT(out.len, 18 + 10 + 9 + 9 + sizeof tail);
    CHECK_BYTES(out.data + 18 + 10 + 9 + 9, out.len - (18 + 10 + 9 + 9), tail, sizeof tail);
    buf_free(&out);
    arena_free(&arena);
}

TEST(default_values_in_any_value_are_still_written) {
    /* A oneof member is present even when it holds its default: "" / 0 / false / 0.0. */
    arena_t arena = ARENA_INIT;
    span_t span;
    span_init(&span, &arena);
    span_attr_cstr(&span, "e", "");
    span_attr_int(&span, "z", 0);
    span_attr_bool(&span, "f", false);
    span_attr_double(&span, "o", 0.0);
    span_attr_strs(&span, "v", NULL, 0);
    buf_t out = BUF_INIT;
    otlp_proto_encode_span(&out, &span);
    static const uint8_t expected_attrs[] = {
        0x4A, 0x07, 0x0A, 0x01, 'e', 0x12, 0x02, 0x0A, 0x00,            /* string "" */
        0x4A, 0x07, 0x0A, 0x01, 'z', 0x12, 0x02, 0x18, 0x00,            /* int 0 */
        0x4A, 0x07, 0x0A, 0x01, 'f', 0x12, 0x02, 0x10, 0x00,            /* bool false */
        0x4A, 0x0E, 0x0A, 0x01, 'o', 0x12, 0x09, 0x21, 0, 0, 0, 0, 0, 0, 0, 0, /* 0.0 */
        0x4A, 0x07, 0x0A, 0x01, 'v', 0x12, 0x02, 0x2A, 0x00,            /* empty array */
    };
    size_t head = 18 + 10 + 9 + 9; /* trace_id, span_id, start, end */
    CHECK_BYTES(out.data + head, out.len - head, expected_attrs, sizeof expected_attrs);
    buf_free(&out);
    arena_free(&arena);
}

TEST(invalid_utf8_becomes_replacement_characters_and_lengths_follow) {
    arena_t arena = ARENA_INIT;
    span_t span;
    span_init(&span, &arena);
    span.name = (bt_str){"a\xFF" "b", 3};
    /* A truncated 3-byte sequence: E2 82 then end; each byte is replaced. */
    span_attr_str(&span, "k", (bt_str){"\xE2\x82", 2});
    buf_t out = BUF_INIT;
    otlp_proto_encode_span(&out, &span);
    static const uint8_t expected[] = {
        /* name: 61 EF BF BD 62 = 5 bytes */
        0x2A, 0x05, 'a', 0xEF, 0xBF, 0xBD, 'b',
    };
    CHECK_BYTES(out.data + 28, sizeof expected, expected, sizeof expected);
    static const uint8_t expected_attr[] = {
        /* AnyValue 0A 06 [EF BF BD EF BF BD] = 8; KeyValue 0A 01 "k" 12 08 [8] = 13 */
        0x4A, 0x0D, 0x0A, 0x01, 'k', 0x12, 0x08, 0x0A, 0x06,
        0xEF, 0xBF, 0xBD, 0xEF, 0xBF, 0xBD,
    };
    size_t attr_at = 28 + sizeof expected + 9 + 9;
    CHECK_BYTES(out.data + attr_at, out.len - attr_at, expected_attr, sizeof expected_attr);
    buf_free(&out);
    arena_free(&arena);
}

/* A string attribute vouched for as well-formed UTF-8 (the GenAI message JSON) is encoded
 * byte for byte as the same value without the mark, which the encoder checks. */
TEST(vouched_utf8_values_encode_as_unvouched_ones) {
    static const char value[] =
        "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"\xE4\xB8\xAD"
        "\xE6\x96\x87 \xD0\xBF\xD1\x80\xD0\xB8 \xF0\x9F\x98\x80 line\\none\"}]}]";
    buf_t plain = BUF_INIT, vouched = BUF_INIT;
    encode_plain_and_vouched(otlp_proto_encode_span, STR_LIT(value), &plain, &vouched);
    CHECK(plain.len > sizeof value);
    CHECK(vouched.len == plain.len && memcmp(vouched.data, plain.data, plain.len) == 0);
    buf_free(&plain);
    buf_free(&vouched);
}

TEST(long_string_gets_a_two_byte_length) {
    arena_t arena = ARENA_INIT;
    span_t span;
    span_init(&span, &arena);
    char *text = arena_alloc(&arena, 300);
    memset(text, 'q', 300);
    span_attr_str(&span, "k", (bt_str){text, 300});
    buf_t out = BUF_INIT;
    otlp_proto_encode_span(&out, &span);
    /* AnyValue = 0A AC 02 [300] = 303 bytes (300 = 0b10_0101100 -> AC 02);
     * KeyValue = 0A 01 "k" 12 AF 02 [303] = 309 (303 -> AF 02); field 4A B5 02 [309]. */
    size_t at = 18 + 10 + 9 + 9;
    static const uint8_t head[] = {0x4A, 0xB5, 0x02, 0x0A, 0x01, 'k', 0x12, 0xAF, 0x02,
                                   0x0A, 0xAC, 0x02, 'q'};
    CHECK_BYTES(out.data + at, sizeof head, head, sizeof head);
    CHECK_INT(out.len - at, 3 + 309);
    buf_free(&out);
    arena_free(&arena);
}

/* A small resource: one attribute k=v, scope "s" version "1". */
static span_resource small_resource(span_attr *attr) {
    memset(attr, 0, sizeof *attr);
    attr->key = "k";
    attr->type = ATTR_STRING;
    attr->s = STR_LIT("v");
    return (span_resource){attr, 1, "s", "1"};
}

TEST(request_wraps_spans_in_resource_spans_and_scope_spans) {
    arena_t arena = ARENA_INIT;
    span_t span;
    sample_span(&span, &arena);
    span_attr resource_attr;
    span_resource resource = small_resource(&resource_attr);
    otlp_proto_request req;
    otlp_proto_request_init(&req, &resource);
    buf_t span_bytes = BUF_INIT;
    otlp_proto_encode_span(&span_bytes, &span);
    otlp_proto_request_add(&req, (bt_str){span_bytes.data, span_bytes.len});
    CHECK_INT(req.span_count, 1);
    CHECK_INT(otlp_proto_request_span_bytes(&req), 3 + 164);
    bt_str request = otlp_proto_request_finish(&req);
    /* Resource {attributes(1) 0A 08 KeyValue{0A 01 "k" 12 03 {0A 01 "v"}}} = 10 bytes,
     *   as ResourceSpans.resource(1): 0A 0A [10] = 12 bytes.
     * InstrumentationScope {name(1) 0A 01 "s", version(2) 12 01 "1"} = 6 bytes,
     *   as ScopeSpans.scope(1): 0A 06 [6] = 8 bytes.
     * The span as ScopeSpans.spans(2): 12 A4 01 [164] = 167 bytes (164 -> A4 01).
     * ScopeSpans = 8 + 167 = 175, as ResourceSpans.scope_spans(2): 12 AF 01 [175] = 178.
     * ResourceSpans = 12 + 178 = 190, as request.resource_spans(1): 0A BE 01 [190]. */
    static const uint8_t head[] = {
        0x0A, 0xBE, 0x01,                                           /* resource_spans */
        0x0A, 0x0A, 0x0A, 0x08, 0x0A, 0x01, 'k', 0x12, 0x03, 0x0A, 0x01, 'v', /* resource */
        0x12, 0xAF, 0x01,                                           /* scope_spans */
        0x0A, 0x06, 0x0A, 0x01, 's', 0x12, 0x01, '1',               /* scope */
        0x12, 0xA4, 0x01,                                           /* spans: one Span */
    };
    CHECK_INT(request.len, 193);
    CHECK_BYTES(request.ptr, sizeof head, head, sizeof head);
    CHECK_BYTES(request.ptr + sizeof head, request.len - sizeof head, sample_span_bytes,
                sizeof sample_span_bytes);

    /* After a reset the same request takes two spans: ScopeSpans = 8 + 2 * 167 = 342
     * (D6 02), ResourceSpans = 12 + 3 + 342 = 357 (E5 02), request = 3 + 357 = 360. */
    otlp_proto_request_reset(&req);
    CHECK_INT(otlp_proto_request_span_bytes(&req), 0);
    otlp_proto_request_add(&req, (bt_str){span_bytes.data, span_bytes.len});
    otlp_proto_request_add(&req, (bt_str){span_bytes.data, span_bytes.len});
    request = otlp_proto_request_finish(&req);
    CHECK_INT(request.len, 360);
    static const uint8_t head2[] = {0x0A, 0xE5, 0x02};
    CHECK_BYTES(request.ptr, 3, head2, 3);
    static const uint8_t scope_spans2[] = {0x12, 0xD6, 0x02};
    CHECK_BYTES(request.ptr + 15, 3, scope_spans2, 3);

    buf_free(&span_bytes);
    otlp_proto_request_free(&req);
    arena_free(&arena);
}

TEST(empty_request_still_carries_resource_and_scope) {
    span_attr resource_attr;
    span_resource resource = small_resource(&resource_attr);
    otlp_proto_request req;
    otlp_proto_request_init(&req, &resource);
    bt_str request = otlp_proto_request_finish(&req);
    /* ScopeSpans = 8, ResourceSpans = 12 + 2 + 8 = 22, request = 2 + 22 = 24. */
    static const uint8_t expected[] = {
        0x0A, 0x16, 0x0A, 0x0A, 0x0A, 0x08, 0x0A, 0x01, 'k', 0x12, 0x03, 0x0A, 0x01, 'v',
        0x12, 0x08, 0x0A, 0x06, 0x0A, 0x01, 's', 0x12, 0x01, '1',
    };
    CHECK_BYTES(request.ptr, request.len, expected, sizeof expected);
    otlp_proto_request_free(&req);
}

int main(void) {
    RUN(span_message_has_every_field_as_derived_by_hand);
    RUN(root_span_with_unset_status_leaves_out_parent_status_kind_and_flags);
    RUN(status_with_only_a_message_is_written_without_a_code);
    RUN(event_is_written_after_attributes_and_before_status);
    RUN(default_values_in_any_value_are_still_written);
    RUN(invalid_utf8_becomes_replacement_characters_and_lengths_follow);
    RUN(vouched_utf8_values_encode_as_unvouched_ones);
    RUN(long_string_gets_a_two_byte_length);
    RUN(request_wraps_spans_in_resource_spans_and_scope_spans);
    RUN(empty_request_still_carries_resource_and_scope);
    TEST_MAIN_END();
}
