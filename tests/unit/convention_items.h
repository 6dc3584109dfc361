/* What the dialect-convention tests (test_braintrust.c, test_openinference.c,
 * test_traceloop.c) share: items made from hand-written provider records (request and result
 * lines run through the real parsers, so the raw bodies and the normalized fields agree), a
 * task's totals, and golden checks on a span's exact attribute map. */
#ifndef BT_TEST_CONVENTION_ITEMS_H
#define BT_TEST_CONVENTION_ITEMS_H

#include <stdlib.h>

#include "conventions/convention.h"
#include "json/json.h"
#include "json/writer.h"
#include "providers/provider.h"
#include "test.h"
#include "util/arena.h"
#include "util/buf.h"

/* ---- the records ---- */

/* OpenAI chat, plain text. */
static const char OPENAI_PLAIN_REQUEST[] =
    "{\"custom_id\":\"plain-1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
    "\"body\":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\","
    "\"content\":\"Say hello\"}],\"max_tokens\":16,\"temperature\":0}}";
static const char OPENAI_PLAIN_RESULT[] =
    "{\"id\":\"batch_req_1\",\"custom_id\":\"plain-1\",\"response\":{\"status_code\":200,"
    "\"request_id\":\"r1\",\"body\":{\"id\":\"chatcmpl-A\",\"object\":\"chat.completion\","
    "\"created\":1767225600,\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,"
    "\"message\":{\"role\":\"assistant\",\"content\":\"Hello!\"},\"finish_reason\":\"stop\"}],"
    "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"total_tokens\":11}}},"
    "\"error\":null}";

/* OpenAI chat: a tool round trip in the history, a tool call out, cached and reasoning
 * tokens. */
static const char OPENAI_TOOLS_REQUEST[] =
    "{\"custom_id\":\"tools-1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
    "\"body\":{\"model\":\"o4-mini\",\"messages\":["
    "{\"role\":\"system\",\"content\":\"You are terse.\"},"
    "{\"role\":\"user\",\"content\":\"Weather in Paris?\"},"
    "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\","
    "\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
    "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},"
    "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"rainy, 57\xC2\xB0" "F\"}],"
    "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
    "\"description\":\"Get the weather\",\"parameters\":{\"type\":\"object\"}}}],"
    "\"tool_choice\":\"auto\",\"reasoning_effort\":\"low\",\"max_completion_tokens\":256}}";
static const char OPENAI_TOOLS_RESULT[] =
    "{\"id\":\"batch_req_2\",\"custom_id\":\"tools-1\",\"response\":{\"status_code\":200,"
    "\"body\":{\"id\":\"chatcmpl-B\",\"object\":\"chat.completion\","
    "\"model\":\"o4-mini-2025-04-16\",\"choices\":[{\"index\":0,\"message\":{"
    "\"role\":\"assistant\",\"content\":\"Checking.\",\"tool_calls\":[{\"id\":\"call_2\","
    "\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
    "\"arguments\":\"{\\\"city\\\":\\\"Lyon\\\"}\"}}]},\"finish_reason\":\"tool_calls\"}],"
    "\"usage\":{\"prompt_tokens\":50,\"completion_tokens\":20,\"total_tokens\":70,"
    "\"prompt_tokens_details\":{\"cached_tokens\":10},"
    "\"completion_tokens_details\":{\"reasoning_tokens\":8}}}},\"error\":null}";

/* OpenAI chat that failed: an error body, no usage. */
static const char OPENAI_ERROR_REQUEST[] =
    "{\"custom_id\":\"err-1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
    "\"body\":{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\","
    "\"content\":\"Summarize War and Peace\"}]}}";
static const char OPENAI_ERROR_RESULT[] =
    "{\"id\":\"batch_req_3\",\"custom_id\":\"err-1\",\"response\":{\"status_code\":400,"
    "\"body\":{\"error\":{\"message\":\"This model's maximum context length is 128000 "
    "tokens.\",\"type\":\"invalid_request_error\",\"code\":\"context_length_exceeded\"}}},"
    "\"error\":null}";

/* OpenAI embeddings. */
static const char OPENAI_EMBEDDING_REQUEST[] =
    "{\"custom_id\":\"emb-1\",\"method\":\"POST\",\"url\":\"/v1/embeddings\","
    "\"body\":{\"model\":\"text-embedding-3-small\",\"input\":[\"alpha\",\"beta\"],"
    "\"encoding_format\":\"float\"}}";
static const char OPENAI_EMBEDDING_RESULT[] =
    "{\"id\":\"batch_req_4\",\"custom_id\":\"emb-1\",\"response\":{\"status_code\":200,"
    "\"body\":{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
    "\"embedding\":[0.1,0.2,0.3]},{\"object\":\"embedding\",\"index\":1,"
    "\"embedding\":[0.4,0.5,0.6]}],\"model\":\"text-embedding-3-small\","
    "\"usage\":{\"prompt_tokens\":4,\"total_tokens\":4}}},\"error\":null}";

/* Anthropic: system, thinking, a text and a tool call out, cache reads and writes. */
static const char ANTHROPIC_THINKING_REQUEST[] =
    "{\"custom_id\":\"think-1\",\"params\":{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":1024,"
    "\"system\":\"Be precise.\",\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":512},"
    "\"messages\":[{\"role\":\"user\",\"content\":\"What is 6*7? Use the calculator.\"}],"
    "\"tools\":[{\"name\":\"calculator\",\"description\":\"Evaluates arithmetic\","
    "\"input_schema\":{\"type\":\"object\"}}]}}";
static const char ANTHROPIC_THINKING_RESULT[] =
    "{\"custom_id\":\"think-1\",\"result\":{\"type\":\"succeeded\",\"message\":{"
    "\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\","
    "\"model\":\"claude-sonnet-4-5-20250929\",\"content\":["
    "{\"type\":\"thinking\",\"thinking\":\"I should call the calculator.\","
    "\"signature\":\"sig\"},{\"type\":\"text\",\"text\":\"Let me compute.\"},"
    "{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"calculator\","
    "\"input\":{\"expr\":\"6*7\"}}],\"stop_reason\":\"tool_use\",\"stop_sequence\":null,"
    "\"usage\":{\"input_tokens\":100,\"output_tokens\":40,\"cache_read_input_tokens\":30,"
    "\"cache_creation_input_tokens\":20}}}}";

/* Anthropic request that expired before processing. */
static const char ANTHROPIC_EXPIRED_REQUEST[] =
    "{\"custom_id\":\"exp-1\",\"params\":{\"model\":\"claude-haiku-4-5\",\"max_tokens\":64,"
    "\"messages\":[{\"role\":\"user\",\"content\":\"Ping\"}]}}";
static const char ANTHROPIC_EXPIRED_RESULT[] =
    "{\"custom_id\":\"exp-1\",\"result\":{\"type\":\"expired\"}}";

/* ---- items ---- */

/* Parse one record with the provider's request or result parser into item. */
static void parse_record(arena_t *arena, const provider_ops *provider, const char *record,
                         bool request, bt_item *item) {
    json_doc doc = JSON_DOC_INIT;
    char reason[REASON_MAX] = "";
    int rc = json_parse(&doc, record, strlen(record), reason);
    if (rc == 0)
        rc = request ? provider->parse_request(&doc, 0, arena, item, reason)
                     : provider->parse_result(&doc, 0, arena, item, reason);
    if (rc != 0) fprintf(stderr, "  test record does not parse: %s\n", reason);
    CHECK_INT(rc, 0);
    json_doc_free(&doc);
}

/* The item of a request record and its result record, as the collector builds it. */
static bt_item make_item(arena_t *arena, const provider_ops *provider, const char *request,
                         const char *result) {
    bt_item item;
    memset(&item, 0, sizeof item);
    parse_record(arena, provider, result, false, &item);
    parse_record(arena, provider, request, true, &item);
    return item;
}

/* The totals of a finished OpenAI batch of five items. */
static task_totals openai_task_totals(void) {
    static const bt_str models[] = {STR_LIT("gpt-4o"), STR_LIT("gpt-4o-mini")};
    task_totals totals;
    memset(&totals, 0, sizeof totals);
    totals.provider = "openai";
    totals.batch_id = STR_LIT("batch_abc");
    totals.endpoint = STR_LIT("/v1/chat/completions");
    totals.batch_status = STR_LIT("completed");
    totals.total = 5;
    totals.succeeded = 3;
    totals.errored = 1;
    totals.expired = 1;
    totals.models = models;
    totals.model_count = 2;
    totals.tokens.input = 59;
    totals.tokens.has_input = true;
    return totals;
}

/* ---- checks ---- */

/* The span's attributes, one line each in order: "key=text" for a string (its bytes as
 * they are), "key:int=9", "key:bool=true", "key:double=0.5" (%g) and "key:array=[...]" (a
 * JSON array) for the other types. Freed by the caller. */
static char *attribute_map(const span_t *span) {
    buf_t out = BUF_INIT;
    for (size_t i = 0; i < span->attr_count; i++) {
        const span_attr *attr = &span->attrs[i];
        buf_puts(&out, attr->key);
        switch (attr->type) {
        case ATTR_STRING:
            buf_putc(&out, '=');
            buf_append(&out, attr->s.ptr, attr->s.len);
            break;
        case ATTR_INT: buf_printf(&out, ":int=%lld", (long long)attr->i); break;
        case ATTR_DOUBLE: buf_printf(&out, ":double=%g", attr->d); break;
        case ATTR_BOOL: buf_puts(&out, attr->b ? ":bool=true" : ":bool=false"); break;
        case ATTR_STRING_ARRAY:
            buf_puts(&out, ":array=[");
            for (size_t j = 0; j < attr->array_len; j++) {
                if (j) buf_putc(&out, ',');
                json_escape_string(&out, attr->array[j].ptr, attr->array[j].len);
            }
            buf_putc(&out, ']');
            break;
        }
        buf_putc(&out, '\n');
    }
    return buf_detach(&out);
}

/* True when the span's attribute map is exactly expected; prints the actual map otherwise. */
static bool attribute_map_is(const span_t *span, const char *expected) {
    char *actual = attribute_map(span);
    bool same = strcmp(actual, expected) == 0;
    if (!same) fprintf(stderr, "  the attribute map was:\n%s", actual);
    free(actual);
    return same;
}
#define CHECK_MAP(span, expected) CHECK(attribute_map_is((span), (expected)))

/* The number of string attributes whose key is in json_keys (or ends in "_json") or matches
 * none; each such value must parse as one JSON document (a failure is reported). */
static int check_json_values(const span_t *span, const char *const *json_keys,
                             size_t key_count) {
    int checked = 0;
    for (size_t i = 0; i < span->attr_count; i++) {
        const span_attr *attr = &span->attrs[i];
        size_t key_len = strlen(attr->key);
        bool is_json = key_len > 5 && strcmp(attr->key + key_len - 5, "_json") == 0;
        for (size_t k = 0; k < key_count; k++)
            is_json = is_json || strcmp(attr->key, json_keys[k]) == 0;
        if (!is_json || attr->type != ATTR_STRING) continue;
        json_doc doc = JSON_DOC_INIT;
        char reason[REASON_MAX] = "";
        if (json_parse(&doc, attr->s.ptr, attr->s.len, reason) != 0) {
            fprintf(stderr, "  %s is not JSON (%s): %.*s\n", attr->key, reason, (int)attr->s.len,
                    attr->s.ptr);
            CHECK(false);
        }
        json_doc_free(&doc);
        checked++;
    }
    return checked;
}

/* Apply dialect's item hook to item in a fresh span on arena. */
static span_t item_span(arena_t *arena, const convention *dialect, const bt_item *item,
                        const char *batch_id, bool no_content) {
    span_t span;
    span_init(&span, arena);
    convention_ctx ctx = {str_c(batch_id), no_content};
    dialect->item(&span, item, &ctx);
    return span;
}

/* Apply dialect's task hook in a fresh span named name on arena. */
static span_t task_span(arena_t *arena, const convention *dialect, const task_totals *totals,
                        const char *name) {
    span_t span;
    span_init(&span, arena);
    span.name = str_c(name);
    convention_ctx ctx = {totals->batch_id, false};
    dialect->task(&span, totals, &ctx);
    return span;
}

#endif
