/* The `braintrust` convention: the braintrust.* attributes Braintrust's OpenTelemetry ingestion
 * turns into a span's native fields, shaped as Braintrust's own SDK wrappers (OpenAI, Anthropic)
 * shape an LLM span. Every value is a JSON document; provider JSON is copied compacted.
 *
 * Item attributes, in this order:
 *   braintrust.span_attributes  {"type":"llm"}
 *   braintrust.input_json       the provider-native input, raw from the request body: OpenAI
 *                               `messages` (chat), `input` (Responses, embeddings) or `prompt`
 *                               (completions); Anthropic [{"role":"system","content":system},
 *                               ...messages] (system first, when given)
 *   braintrust.output_json      raw from the response body: OpenAI `choices` (chat, completions)
 *                               or `output` (Responses), embeddings {"embedding_length": N};
 *                               Anthropic [{"role", "content"}]
 *   braintrust.metadata         {provider, endpoint, model, <request parameters>, custom_id,
 *                               batch_id, id (the response id), stop_reason and stop_sequence
 *                               (Anthropic) or finish_reasons (OpenAI)}; absent values left out
 *   braintrust.metrics          {prompt_tokens (cache reads and writes included),
 *                               completion_tokens, tokens, prompt_cached_tokens,
 *                               prompt_cache_creation_tokens, completion_reasoning_tokens}, the
 *                               counts the provider gave; absent when it gave none
 * With --no-content, input_json and output_json are left out, and so are the request
 * parameters that carry content (see conv_write_request_params).
 *
 * Task attributes: braintrust.span_attributes {"type":"task"}, braintrust.input_json (the
 * batch: provider, batch id, endpoint, models), braintrust.output_json (batch status and
 * request counts), braintrust.metadata {provider, batch_id, endpoint, batch_status}. Token
 * metrics stay on the items: Braintrust sums the metrics of a trace's spans, and totals on the
 * task would count every token twice. */
#include <string.h>

#include "conventions/shared.h"

/* True when the item or batch comes from Anthropic (whose input puts the system apart). */
static bool is_anthropic(const char *provider) {
    return provider && strcmp(provider, "anthropic") == 0;
}

/* True when tok is present and not JSON null. */
static bool present(const json_doc *doc, int tok) {
    json_type type = json_type_of(doc, tok);
    return type != JSON_NONE && type != JSON_NULL;
}

/* Append the provider-native input of the request to out. False when there is none. */
static bool write_input(buf_t *out, const bt_item *item, const native_body *request) {
    const json_doc *doc = &request->doc;
    if (request->root < 0) return false;
    jw_t w;
    jw_init(&w, out);
    if (is_anthropic(item->provider)) {
        int system = json_get(doc, request->root, "system");
        int messages = json_get(doc, request->root, "messages");
        bool has_messages = json_type_of(doc, messages) == JSON_ARRAY;
        if (!present(doc, system) && !has_messages) return false;
        jw_array_open(&w);
        if (present(doc, system)) {
            jw_object_open(&w);
            jw_key(&w, "role");
            jw_cstring(&w, "system");
            jw_key(&w, "content");
            conv_write_raw(&w, json_raw(doc, system));
            jw_object_close(&w);
        }
        int count = has_messages ? json_count(doc, messages) : 0;
        int message = json_first(doc, messages);
        for (int i = 0; i < count; i++, message = json_next(doc, message))
            conv_write_raw(&w, json_raw(doc, message));
        jw_array_close(&w);
        return true;
    }
    static const char *const input_keys[] = {"messages", "input", "prompt"};
    for (size_t k = 0; k < sizeof input_keys / sizeof input_keys[0]; k++) {
        int input = json_get(doc, request->root, input_keys[k]);
        if (!present(doc, input)) continue;
        conv_write_raw(&w, json_raw(doc, input));
        return true;
    }
    return false;
}

/* Append the provider-native output of the response to out. False when there is none. */
static bool write_output(buf_t *out, const bt_item *item, const native_body *response) {
    const json_doc *doc = &response->doc;
    int root = response->root;
    if (root < 0) return false;
    jw_t w;
    jw_init(&w, out);
    if (is_anthropic(item->provider)) {
        int content = json_get(doc, root, "content");
        if (!present(doc, content)) return false;
        int role = json_get(doc, root, "role");
        jw_array_open(&w);
        jw_object_open(&w);
        jw_key(&w, "role");
        if (json_type_of(doc, role) == JSON_STRING)
            conv_write_raw(&w, json_raw(doc, role));
        else
            jw_cstring(&w, "assistant");
        jw_key(&w, "content");
        conv_write_raw(&w, json_raw(doc, content));
        jw_object_close(&w);
        jw_array_close(&w);
        return true;
    }
    int choices = json_get(doc, root, "choices");
    if (!present(doc, choices)) choices = json_get(doc, root, "output");
    if (present(doc, choices)) {
        conv_write_raw(&w, json_raw(doc, choices));
        return true;
    }
    /* Embeddings: the vectors say nothing to a reader; their length does (as Braintrust's
     * SDKs record it). */
    int data = json_get(doc, root, "data");
    int embedding = json_get(doc, json_first(doc, data), "embedding");
    if (json_type_of(doc, data) != JSON_ARRAY || json_type_of(doc, embedding) != JSON_ARRAY)
        return false;
    jw_object_open(&w);
    jw_key(&w, "embedding_length");
    jw_int(&w, json_count(doc, embedding));
    jw_object_close(&w);
    return true;
}

/* Append the item's metadata object to out. */
static void write_metadata(buf_t *out, const bt_item *item, const native_body *request,
                           const native_body *response, const convention_ctx *ctx) {
    jw_t w;
    jw_init(&w, out);
    jw_object_open(&w);
    conv_write_if_some(&w, "provider", str_c(item->provider));
    conv_write_if_some(&w, "endpoint", item->endpoint);
    conv_write_if_some(&w, "model", str_some(item->request_model) ? item->request_model
                                                             : item->response_model);
    conv_write_request_params(&w, request, ctx->no_content);
    conv_write_if_some(&w, "custom_id", item->custom_id);
    conv_write_if_some(&w, "batch_id", ctx->batch_id);
    conv_write_if_some(&w, "id", item->response_id);
    if (is_anthropic(item->provider)) {
        if (item->finish_reason_count)
            conv_write_if_some(&w, "stop_reason", item->finish_reasons[0]);
        int stop_sequence = json_get(&response->doc, response->root, "stop_sequence");
        if (json_type_of(&response->doc, stop_sequence) == JSON_STRING) {
            jw_key(&w, "stop_sequence");
            conv_write_raw(&w, json_raw(&response->doc, stop_sequence));
        }
    } else if (item->finish_reason_count) {
        jw_key(&w, "finish_reasons");
        jw_array_open(&w);
        for (size_t i = 0; i < item->finish_reason_count; i++)
            jw_string(&w, item->finish_reasons[i]);
        jw_array_close(&w);
    }
    jw_object_close(&w);
}

/* Write "key": value when the count was given. */
static void write_count(jw_t *w, const char *key, opt_i64 value) {
    if (!value.has) return;
    jw_key(w, key);
    jw_int(w, value.value);
}

/* Append the item's metrics object to out. False when the provider gave no token count. */
static bool write_metrics(buf_t *out, const bt_item *item) {
    conv_tokens tokens = conv_tokens_of(item);
    if (!tokens.prompt.has && !tokens.completion.has && !tokens.cache_read.has &&
        !tokens.cache_creation.has && !tokens.reasoning.has)
        return false;
    jw_t w;
    jw_init(&w, out);
    jw_object_open(&w);
    write_count(&w, "prompt_tokens", tokens.prompt);
    write_count(&w, "completion_tokens", tokens.completion);
    write_count(&w, "tokens", tokens.total);
    write_count(&w, "prompt_cached_tokens", tokens.cache_read);
    write_count(&w, "prompt_cache_creation_tokens", tokens.cache_creation);
    write_count(&w, "completion_reasoning_tokens", tokens.reasoning);
    jw_object_close(&w);
    return true;
}

/* braintrust.* for one item's LLM span. Each document is built in the thread's scratch buffer
 * and copied into span->arena. */
static void braintrust_item(span_t *span, const bt_item *item, const convention_ctx *ctx) {
    native_body request, response;
    native_body_parse(&request, item->request_body);
    native_body_parse(&response, item->response_body);
    buf_t *json = conv_scratch_take();

    span_attr_cstr(span, "braintrust.span_attributes", "{\"type\":\"llm\"}");
    if (!ctx->no_content && write_input(json, item, &request))
        conv_attr_buf(span, "braintrust.input_json", json);
    buf_clear(json);
    if (!ctx->no_content && write_output(json, item, &response))
        conv_attr_buf(span, "braintrust.output_json", json);
    buf_clear(json);
    write_metadata(json, item, &request, &response, ctx);
    conv_attr_buf(span, "braintrust.metadata", json);
    buf_clear(json);
    if (write_metrics(json, item)) conv_attr_buf(span, "braintrust.metrics", json);

    conv_scratch_give(json);
    native_body_free(&request);
    native_body_free(&response);
}

/* braintrust.* for the task span: the batch, never item content. */
static void braintrust_task(span_t *span, const task_totals *totals, const convention_ctx *ctx) {
    buf_t *json = conv_scratch_take();
    span_attr_cstr(span, "braintrust.span_attributes", "{\"type\":\"task\"}");
    conv_task_input_json(json, totals);
    conv_attr_buf(span, "braintrust.input_json", json);
    buf_clear(json);
    conv_task_output_json(json, totals);
    conv_attr_buf(span, "braintrust.output_json", json);
    buf_clear(json);
    jw_t w;
    jw_init(&w, json);
    jw_object_open(&w);
    conv_write_if_some(&w, "provider", str_c(totals->provider));
    conv_write_if_some(&w, "batch_id", totals->batch_id);
    conv_write_if_some(&w, "endpoint", totals->endpoint);
    conv_write_if_some(&w, "batch_status", totals->batch_status);
    jw_object_close(&w);
    conv_attr_buf(span, "braintrust.metadata", json);
    conv_scratch_give(json);
}

const convention convention_braintrust = {
    .name = "braintrust",
    .item = braintrust_item,
    .task = braintrust_task,
};
