/* Cutting encoded requests at span boundaries (the 413 split): a request of N spans,
 * protobuf and JSON, cut into parts that are byte for byte the requests the encoder builds
 * for the same spans. */
#include <stdlib.h>
#include <string.h>

#include "export/otlp_json.h"
#include "export/otlp_proto.h"
#include "export/otlp_split.h"
#include "span/resource.h"
#include "test.h"
#include "util/buf.h"
#include "util/reason.h"

enum { SPANS = 7 };

/* Span i, with an attribute of i bytes so the spans differ in length. */
static void make_span(span_t *span, arena_t *arena, unsigned i) {
    span_init(span, arena);
    span->trace_id[0] = 0xAB;
    span->span_id[7] = (uint8_t)(i + 1);
    span->name = STR_LIT("chat gpt-4o-mini");
    span->start_ns = 1767225600000000000u;
    span->end_ns = 1767225600000000000u + i;
    static const char filler[] = "0123456789012345678901234567890123456789";
    span_attr_str(span, "filler", (bt_str){filler, i * 5});
}

/* The request the encoder builds for spans [first, first + count), into out. */
static void encoded_request(otlp_protocol protocol, const span_resource *resource,
                            unsigned first, unsigned count, buf_t *out) {
    arena_t arena = ARENA_INIT;
    buf_t encoded = BUF_INIT;
    otlp_proto_request proto;
    otlp_json_request json;
    if (protocol == OTLP_HTTP_PROTOBUF) otlp_proto_request_init(&proto, resource);
    else otlp_json_request_init(&json, resource);
    for (unsigned i = first; i < first + count; i++) {
        span_t span;
        make_span(&span, &arena, i);
        buf_clear(&encoded);
        if (protocol == OTLP_HTTP_PROTOBUF) {
            otlp_proto_encode_span(&encoded, &span);
            otlp_proto_request_add(&proto, (bt_str){encoded.data, encoded.len});
        } else {
            otlp_json_encode_span(&encoded, &span);
            otlp_json_request_add(&json, (bt_str){encoded.data, encoded.len});
        }
        arena_reset(&arena);
    }
    bt_str request = protocol == OTLP_HTTP_PROTOBUF ? otlp_proto_request_finish(&proto)
                                                    : otlp_json_request_finish(&json);
    buf_clear(out);
    buf_append(out, request.ptr, request.len);
    if (protocol == OTLP_HTTP_PROTOBUF) otlp_proto_request_free(&proto);
    else otlp_json_request_free(&json);
    buf_free(&encoded);
    arena_free(&arena);
}

/* Parse the request of SPANS spans, cut it at every point and compare each part with the
 * encoder's request for the same spans. */
static void check_cuts(otlp_protocol protocol) {
    span_resource resource;
    char reason[REASON_MAX] = "";
    resource_build(&resource, "svc", NULL, reason);
    buf_t whole = BUF_INIT, part = BUF_INIT, expected = BUF_INIT;
    encoded_request(protocol, &resource, 0, SPANS, &whole);
    otlp_spans spans;
    CHECK_INT(otlp_spans_parse((bt_str){whole.data, whole.len}, protocol, &spans, reason), 0);
    CHECK_INT(spans.span_count, SPANS);
    for (unsigned first = 0; first < SPANS && spans.span_count == SPANS; first++) {
        for (unsigned count = 1; first + count <= SPANS; count++) {
            otlp_spans_build(&spans, first, count, &part);
            encoded_request(protocol, &resource, first, count, &expected);
            CHECK(part.len == expected.len && memcmp(part.data, expected.data, part.len) == 0);
        }
    }
    otlp_spans_free(&spans);
    /* what is not a request of ours is refused, not cut */
    CHECK_INT(otlp_spans_parse((bt_str){whole.data, whole.len / 2}, protocol, &spans, reason), -1);
    buf_free(&whole);
    buf_free(&part);
    buf_free(&expected);
    resource_free(&resource);
}

TEST(protobuf_parts_are_the_requests_of_their_spans) { check_cuts(OTLP_HTTP_PROTOBUF); }

TEST(json_parts_are_the_requests_of_their_spans) { check_cuts(OTLP_HTTP_JSON); }

int main(void) {
    RUN(protobuf_parts_are_the_requests_of_their_spans);
    RUN(json_parts_are_the_requests_of_their_spans);
    TEST_MAIN_END();
}
