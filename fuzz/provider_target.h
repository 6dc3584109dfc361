/* The body shared by the provider fuzz targets (fuzz_openai.c, fuzz_anthropic.c,
 * fuzz_gemini.c, fuzz_bedrock.c, fuzz_mistral.c, fuzz_vertex.c): one
 * provider's parsers on arbitrary JSON, then what the collector does with a parsed item
 * (the always-on conventions build its span, both OTLP encoders encode it), with the
 * OTLP/JSON output parsed back as a check.
 *
 * The input is one record, or two separated by the first LF: a request record, then a
 * result record (the seeds pair input and output lines so). Each record goes through
 * request_custom_id, parse_request, parse_result, parse_batch and detection alone; then the
 * result and the request fill one item, as collect.c fills it. */
#ifndef BT_FUZZ_PROVIDER_TARGET_H
#define BT_FUZZ_PROVIDER_TARGET_H

#include <string.h>

#include "conventions/convention.h"
#include "export/otlp_json.h"
#include "export/otlp_proto.h"
#include "fuzz_target.h"
#include "json/json.h"
#include "providers/provider.h"
#include "span/span.h"
#include "util/buf.h"

/* Build item's span with the always-on conventions, encode it both ways and check that the
 * OTLP/JSON is valid JSON. */
static void encode_item(const bt_item *item, arena_t *arena) {
    span_t span;
    span_init(&span, arena);
    span.name = item->custom_id;
    span.kind = SPAN_KIND_CLIENT;
    if (item->result != RESULT_SUCCEEDED) {
        span.status = SPAN_STATUS_ERROR;
        span.status_message = item->error_message;
    }
    convention_ctx ctx = {item->custom_id, false};
    convention_linkage.item(&span, item, &ctx);
    convention_genai.item(&span, item, &ctx);
    buf_t encoded = BUF_INIT;
    otlp_proto_encode_span(&encoded, &span);
    buf_clear(&encoded);
    otlp_json_encode_span(&encoded, &span);
    json_doc doc = JSON_DOC_INIT;
    char reason[REASON_MAX];
    if (json_parse(&doc, encoded.data, encoded.len, reason) != 0) {
        fprintf(stderr, "OTLP/JSON does not parse back: %s\n", reason);
        FUZZ_CHECK(!"the OTLP/JSON encoding of a span is valid JSON");
    }
    json_doc_free(&doc);
    buf_free(&encoded);
}

/* Run every parser of provider alone on the record text[0..len). */
static void parse_alone(const provider_ops *provider, const char *text, size_t len,
                        json_doc *doc, arena_t *arena) {
    char reason[REASON_MAX];
    if (json_parse(doc, text, len, reason) != 0) return;
    provider_detect_request(doc, 0);
    provider_detect_result(doc, 0);
    provider_detect_batch(doc, 0);
    bt_str custom_id;
    if (provider->request_custom_id(doc, 0, arena, &custom_id, reason) != 0)
        FUZZ_CHECK(reason[0] != '\0');
    bt_item item;
    memset(&item, 0, sizeof item);
    if (provider->parse_request(doc, 0, arena, &item, reason) == 0) encode_item(&item, arena);
    else FUZZ_CHECK(reason[0] != '\0');
    memset(&item, 0, sizeof item);
    if (provider->parse_result(doc, 0, arena, &item, reason) == 0) encode_item(&item, arena);
    else FUZZ_CHECK(reason[0] != '\0');
    batch_info batch;
    memset(&batch, 0, sizeof batch);
    if (provider->parse_batch(doc, 0, arena, &batch, reason) != 0) FUZZ_CHECK(reason[0] != '\0');
}

/* Fill one item from a result record and then its request record, as collect.c does. */
static void parse_together(const provider_ops *provider, const char *request, size_t request_len,
                           const char *result, size_t result_len, arena_t *arena) {
    json_doc result_doc = JSON_DOC_INIT, request_doc = JSON_DOC_INIT;
    char reason[REASON_MAX];
    bt_item item;
    memset(&item, 0, sizeof item);
    if (json_parse(&result_doc, result, result_len, reason) == 0 &&
        provider->parse_result(&result_doc, 0, arena, &item, reason) == 0 &&
        json_parse(&request_doc, request, request_len, reason) == 0 &&
        provider->parse_request(&request_doc, 0, arena, &item, reason) == 0)
        encode_item(&item, arena);
    json_doc_free(&result_doc);
    json_doc_free(&request_doc);
}

/* The whole target for one provider. */
static int fuzz_provider(const provider_ops *provider, const uint8_t *data, size_t size) {
    const char *text = (const char *)data;
    json_doc doc = JSON_DOC_INIT;
    arena_t arena = ARENA_INIT;
    const char *newline = memchr(text, '\n', size);
    if (!newline) {
        parse_alone(provider, text, size, &doc, &arena);
        parse_together(provider, text, size, text, size, &arena);
    } else {
        size_t first_len = (size_t)(newline - text);
        const char *second = newline + 1;
        size_t second_len = size - first_len - 1;
        parse_alone(provider, text, first_len, &doc, &arena);
        parse_alone(provider, second, second_len, &doc, &arena);
        parse_together(provider, text, first_len, second, second_len, &arena);
    }
    json_doc_free(&doc);
    arena_free(&arena);
    return 0;
}

#endif
