/* Shared by the encoder tests (test_otlp_json.c, test_otlp_proto.c): encode one span whose
 * GenAI message attribute holds value, once plain and once vouched for as well-formed UTF-8
 * (span_attr_str_valid_utf8), with the encoder under test. */
#ifndef BT_TEST_VOUCHED_SPAN_H
#define BT_TEST_VOUCHED_SPAN_H

#include <string.h>

#include "span/span.h"
#include "util/arena.h"
#include "util/buf.h"

/* Encode the span with value unmarked into plain and marked into vouched (both appended). */
static void encode_plain_and_vouched(void (*encode)(buf_t *, const span_t *), bt_str value,
                                     buf_t *plain, buf_t *vouched) {
    arena_t arena = ARENA_INIT;
    for (int mark = 0; mark < 2; mark++) {
        span_t span;
        span_init(&span, &arena);
        memset(span.trace_id, 1, sizeof span.trace_id);
        memset(span.span_id, 2, sizeof span.span_id);
        span.name = STR_LIT("s");
        if (mark) span_attr_str_valid_utf8(&span, "gen_ai.output.messages", value);
        else span_attr_str(&span, "gen_ai.output.messages", value);
        encode(mark ? vouched : plain, &span);
    }
    arena_free(&arena);
}

#endif
