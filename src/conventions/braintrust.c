/* The `braintrust` convention: the braintrust.* attributes Braintrust's OpenTelemetry ingestion
 * turns into a span's native fields, shaped as Braintrust's own SDK shapes the span of the same
 * synchronous call, so a batch item looks in Braintrust exactly as that call would (the rules
 * followed, per endpoint, and what differs are in docs/conventions.md). The SDK files followed:
 * Ruby braintrust-sdk-ruby lib/braintrust/contrib/anthropic/instrumentation/{messages,common}.rb
 * (Anthropic messages), contrib/openai/instrumentation/{chat,responses}.rb and
 * contrib/support/openai.rb (OpenAI chat and Responses); the JS SDK's OpenAI plugin for
 * embeddings, which the Ruby one does not instrument.
 *
 * The item span is renamed as the SDK names the call: "anthropic.messages.create",
 * "Chat Completion", "openai.responses.create", "Embedding" (other endpoints keep the GenAI
 * name). Item attributes, in this order:
 *   braintrust.span_attributes  {"type":"llm"}
 *   braintrust.input_json       the provider-native input, raw from the request body: OpenAI
 *                               `messages` (chat), `input` (Responses, embeddings) or `prompt`
 *                               (completions); Anthropic [{"role":"system","content":system},
 *                               ...messages], a system given as blocks becoming their texts
 *                               joined with "\n"
 *   braintrust.output_json      raw from the response body: OpenAI `choices` (chat, completions)
 *                               or `output` (Responses), embeddings {"embedding_length": N};
 *                               Anthropic [{"role", "content"}]
 *   braintrust.metadata         {provider, endpoint, model (the response's for chat and
 *                               Anthropic, as the SDK writes it), <request parameters>,
 *                               custom_id, batch_id, id (the response id), then OpenAI chat's
 *                               created, system_fingerprint, service_tier and finish_reasons, or
 *                               Anthropic's stop_reason and stop_sequence; a failed item adds
 *                               result (errored, canceled, expired, missing) and error
 *                               {type, message}}; absent and null values left out
 *   braintrust.metrics          the SDK's token metrics from the response's raw usage: OpenAI
 *                               prompt_tokens, completion_tokens, tokens and every number of a
 *                               *_tokens_details object as prompt_* / completion_*; Anthropic
 *                               prompt_tokens (cache reads and writes included),
 *                               completion_tokens, prompt_cached_tokens,
 *                               prompt_cache_creation_tokens, tokens; absent when there is none
 * A failed item also gets an "exception" event (exception.type, exception.message), as the
 * SDK's tracer records a failed call.
 * With --no-content, input_json and output_json are left out, and so are the request
 * parameters that carry content (see conv_write_request_params).
 *
 * Submit span (`start`): braintrust.span_attributes {"type":"task"}, braintrust.input_json the
 * request records (custom_id and params or body, in the provider's shape), braintrust.metadata
 * {provider, endpoint, batch_id, request_count, models, custom_ids}, bounded (submit_totals).
 *
 * Task attributes: braintrust.span_attributes {"type":"task"}, braintrust.input_json (the
 * batch: provider, batch id, endpoint, models), braintrust.output_json (batch status and
 * request counts), braintrust.metadata {provider, batch_id, endpoint, batch_status}. Token
 * metrics stay on the items: Braintrust sums the metrics of a trace's spans, and totals on the
 * task would count every token twice. */
#include <stdio.h>
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

/* Write, as one JSON string, the texts of the Anthropic system blocks `system` (an array)
 * joined with "\n", as the SDK's input shows a system given as blocks: a block's `text`
 * (empty when it has none), a bare string as it is. */
static void write_system_text(jw_t *w, const json_doc *doc, int system) {
    buf_t *text = conv_scratch_take();
    arena_t scratch = ARENA_INIT;
    int count = json_count(doc, system);
    int block = json_first(doc, system);
    for (int i = 0; i < count; i++, block = json_next(doc, block)) {
        if (i) buf_putc(text, '\n');
        int part = json_type_of(doc, block) == JSON_OBJECT ? json_get(doc, block, "text") : block;
        bt_str part_text;
        if (json_string(doc, part, &scratch, &part_text) == 0)
            buf_append(text, part_text.ptr, part_text.len);
    }
    jw_string(w, (bt_str){buf_cstr(text), text->len});
    arena_free(&scratch);
    conv_scratch_give(text);
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
            if (json_type_of(doc, system) == JSON_ARRAY)
                write_system_text(&w, doc, system);
            else
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

/* Append messages as Braintrust's chat shape [{role, content}], content the text of each
 * (conv_message_text), with the system instructions first when given: the input or output
 * of a provider whose native body is neither OpenAI's nor Anthropic's (Gemini, Bedrock,
 * ...). False when there is no message. */
static bool write_normalized(buf_t *out, const msg_part *system, size_t system_count,
                             const msg *messages, size_t message_count) {
    if (!system_count && !message_count) return false;
    arena_t scratch = ARENA_INIT;
    jw_t w;
    jw_init(&w, out);
    jw_array_open(&w);
    if (system_count) {
        msg instructions = {STR_LIT("system"), (msg_part *)system, system_count, STR_NULL};
        jw_object_open(&w);
        jw_key(&w, "role");
        jw_cstring(&w, "system");
        jw_key(&w, "content");
        jw_string(&w, conv_message_text(&scratch, &instructions));
        jw_object_close(&w);
    }
    for (size_t i = 0; i < message_count; i++) {
        jw_object_open(&w);
        jw_key(&w, "role");
        jw_string(&w, messages[i].role);
        jw_key(&w, "content");
        jw_string(&w, conv_message_text(&scratch, &messages[i]));
        jw_object_close(&w);
    }
    jw_array_close(&w);
    arena_free(&scratch);
    return true;
}

/* True for an OpenAI chat completion, whose metadata the SDK completes from the response. */
static bool is_openai_chat(const bt_item *item) {
    return !is_anthropic(item->provider) && str_eq_c(item->endpoint, "/v1/chat/completions");
}

/* Write "key": the response's member key, raw, when it is present and not null. */
static void write_response_member(jw_t *w, const native_body *response, const char *key) {
    int value = json_get(&response->doc, response->root, key);
    if (!present(&response->doc, value)) return;
    jw_key(w, key);
    conv_write_raw(w, json_raw(&response->doc, value));
}

/* Append the item's metadata object to out: the SDK's request fields and the response fields
 * it adds, the batch's ids, and for a failed item what became of it. */
static void write_metadata(buf_t *out, const bt_item *item, const native_body *request,
                           const native_body *response, const convention_ctx *ctx) {
    jw_t w;
    jw_init(&w, out);
    jw_object_open(&w);
    conv_write_if_some(&w, "provider", str_c(item->provider));
    conv_write_if_some(&w, "endpoint", item->endpoint);
    /* The SDK writes the response's model over the request's for chat and messages. */
    bool response_model_first = is_anthropic(item->provider) || is_openai_chat(item);
    bt_str first = response_model_first ? item->response_model : item->request_model;
    bt_str second = response_model_first ? item->request_model : item->response_model;
    conv_write_if_some(&w, "model", str_some(first) ? first : second);
    /* The response's service_tier replaces the request's, as in the SDK's hash. */
    bool tier_from_response =
        is_openai_chat(item) &&
        present(&response->doc, json_get(&response->doc, response->root, "service_tier"));
    conv_write_request_params(&w, request, ctx->no_content,
                              tier_from_response ? "service_tier" : NULL);
    conv_write_if_some(&w, "custom_id", item->custom_id);
    conv_write_if_some(&w, "batch_id", ctx->batch_id);
    conv_write_if_some(&w, "id", item->response_id);
    if (is_anthropic(item->provider)) {
        if (item->finish_reason_count)
            conv_write_if_some(&w, "stop_reason", item->finish_reasons[0]);
        write_response_member(&w, response, "stop_sequence");
    } else {
        if (is_openai_chat(item)) {
            write_response_member(&w, response, "created");
            write_response_member(&w, response, "system_fingerprint");
            write_response_member(&w, response, "service_tier");
        }
        if (item->finish_reason_count) {
            jw_key(&w, "finish_reasons");
            jw_array_open(&w);
            for (size_t i = 0; i < item->finish_reason_count; i++)
                jw_string(&w, item->finish_reasons[i]);
            jw_array_close(&w);
        }
    }
    if (item->result != RESULT_SUCCEEDED) {
        jw_key(&w, "result");
        jw_cstring(&w, item_result_name(item->result));
        if (str_some(item->error_type) || str_some(item->error_message)) {
            jw_key(&w, "error");
            jw_object_open(&w);
            conv_write_if_some(&w, "type", item->error_type);
            conv_write_if_some(&w, "message", item->error_message);
            jw_object_close(&w);
        }
    }
    jw_object_close(&w);
}

/* Token metrics in the order the SDK's hash gets them: a name set twice keeps its place. */
enum { METRIC_MAX = 24, METRIC_NAME_MAX = 64 };
typedef struct metric_list {
    char names[METRIC_MAX][METRIC_NAME_MAX];
    int64_t values[METRIC_MAX];
    int count;
} metric_list;

/* The index of name in list, or -1. */
static int metric_find(const metric_list *list, const char *name) {
    for (int i = 0; i < list->count; i++)
        if (strcmp(list->names[i], name) == 0) return i;
    return -1;
}

/* Set metric prefix+name (prefix may be "") to value. A name too long or past METRIC_MAX is
 * dropped: usage objects have a handful of counts. */
static void metric_set(metric_list *list, const char *prefix, bt_str name, int64_t value) {
    char full[METRIC_NAME_MAX];
    int len = snprintf(full, sizeof full, "%s%.*s", prefix, (int)name.len, name.ptr);
    if (len < 0 || (size_t)len >= sizeof full) return;
    int at = metric_find(list, full);
    if (at < 0) {
        if (list->count == METRIC_MAX) return;
        at = list->count++;
        memcpy(list->names[at], full, (size_t)len + 1);
    }
    list->values[at] = value;
}

/* The integer the SDK takes of a JSON number (Ruby's to_i truncates a fraction). False for
 * anything that is not a number. */
static bool metric_number(const json_doc *doc, int tok, int64_t *out) {
    if (json_int64(doc, tok, out) == 0) return true;
    double value;
    if (json_type_of(doc, tok) != JSON_NUMBER || json_double(doc, tok, &value) != 0 ||
        !(value > -9.2e18 && value < 9.2e18))
        return false;
    *out = (int64_t)value;
    return true;
}

/* The name of a usage member (unescaped into arena), or empty when it is not a string. */
static bt_str member_name(const json_doc *doc, int key, arena_t *arena) {
    bt_str name = STR_NULL;
    if (json_string_borrowed(doc, key, arena, &name) != 0) return STR_NULL;
    return name;
}

/* The value of metric name in list (0 when absent); *has says whether it is there. */
static int64_t metric_value(const metric_list *list, const char *name, bool *has) {
    int at = metric_find(list, name);
    *has = at >= 0;
    return at >= 0 ? list->values[at] : 0;
}

/* OpenAI's usage as the SDK reads it (support/openai.rb): prompt_tokens, completion_tokens,
 * total_tokens -> tokens, input_tokens / output_tokens (Responses) -> prompt / completion, and
 * every number of a <prefix>_tokens_details object as <prefix>_<name>, input and output
 * prefixes becoming prompt and completion; tokens = prompt + completion when not given. */
static void openai_metrics(metric_list *list, const json_doc *doc, int usage, arena_t *arena) {
    static const struct { const char *from, *to; } fields[] = {
        {"prompt_tokens", "prompt_tokens"}, {"completion_tokens", "completion_tokens"},
        {"total_tokens", "tokens"},         {"input_tokens", "prompt_tokens"},
        {"output_tokens", "completion_tokens"},
    };
    static const struct { const char *from, *to; } prefixes[] = {
        {"input", "prompt"}, {"output", "completion"},
    };
    static const char details_suffix[] = "_tokens_details";
    const size_t suffix_len = sizeof details_suffix - 1;
    int members = json_count(doc, usage);
    int key = json_first(doc, usage);
    for (int i = 0; i < members; i++) {
        int value = json_next(doc, key);
        bt_str name = member_name(doc, key, arena);
        int64_t number;
        if (metric_number(doc, value, &number)) {
            for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
                if (str_eq_c(name, fields[f].from))
                    metric_set(list, "", str_c(fields[f].to), number);
        } else if (json_type_of(doc, value) == JSON_OBJECT && name.len > suffix_len &&
                   memcmp(name.ptr + name.len - suffix_len, details_suffix, suffix_len) == 0) {
            char prefix[METRIC_NAME_MAX];
            bt_str raw_prefix = {name.ptr, name.len - suffix_len};
            const char *mapped = NULL;
            for (size_t p = 0; p < sizeof prefixes / sizeof prefixes[0]; p++)
                if (str_eq_c(raw_prefix, prefixes[p].from)) mapped = prefixes[p].to;
            int len = mapped ? snprintf(prefix, sizeof prefix, "%s_", mapped)
                             : snprintf(prefix, sizeof prefix, "%.*s_", (int)raw_prefix.len,
                                        raw_prefix.ptr);
            if (len > 0 && (size_t)len < sizeof prefix) {
                int details = json_count(doc, value);
                int detail = json_first(doc, value);
                for (int d = 0; d < details; d++) {
                    int detail_value = json_next(doc, detail);
                    if (metric_number(doc, detail_value, &number))
                        metric_set(list, prefix, member_name(doc, detail, arena), number);
                    detail = json_next(doc, detail_value);
                }
            }
        }
        key = json_next(doc, value);
    }
    bool has_tokens, has_prompt, has_completion;
    metric_value(list, "tokens", &has_tokens);
    int64_t prompt = metric_value(list, "prompt_tokens", &has_prompt);
    int64_t completion = metric_value(list, "completion_tokens", &has_completion);
    if (!has_tokens && has_prompt && has_completion)
        metric_set(list, "", str_c("tokens"), prompt + completion);
}

/* Anthropic's usage as the SDK reads it (anthropic/instrumentation/common.rb): input_tokens,
 * output_tokens, cache_read_input_tokens and cache_creation_input_tokens as prompt_tokens,
 * completion_tokens, prompt_cached_tokens and prompt_cache_creation_tokens; then
 * prompt_tokens = the three input counts summed (when positive) and tokens = prompt +
 * completion. */
static void anthropic_metrics(metric_list *list, const json_doc *doc, int usage,
                              arena_t *arena) {
    static const struct { const char *from, *to; } fields[] = {
        {"input_tokens", "prompt_tokens"},
        {"output_tokens", "completion_tokens"},
        {"cache_read_input_tokens", "prompt_cached_tokens"},
        {"cache_creation_input_tokens", "prompt_cache_creation_tokens"},
    };
    int members = json_count(doc, usage);
    int key = json_first(doc, usage);
    for (int i = 0; i < members; i++) {
        int value = json_next(doc, key);
        bt_str name = member_name(doc, key, arena);
        int64_t number;
        if (metric_number(doc, value, &number))
            for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
                if (str_eq_c(name, fields[f].from))
                    metric_set(list, "", str_c(fields[f].to), number);
        key = json_next(doc, value);
    }
    bool has_prompt, has_cached, has_creation, has_completion;
    int64_t prompt = metric_value(list, "prompt_tokens", &has_prompt) +
                     metric_value(list, "prompt_cached_tokens", &has_cached) +
                     metric_value(list, "prompt_cache_creation_tokens", &has_creation);
    if (prompt > 0) metric_set(list, "", str_c("prompt_tokens"), prompt);
    prompt = metric_value(list, "prompt_tokens", &has_prompt);
    int64_t completion = metric_value(list, "completion_tokens", &has_completion);
    if (has_prompt && has_completion)
        metric_set(list, "", str_c("tokens"), prompt + completion);
}

/* Write "key": value when the count was given. */
static void write_count(jw_t *w, const char *key, opt_i64 value) {
    if (!value.has) return;
    jw_key(w, key);
    jw_int(w, value.value);
}

/* The metrics of a provider whose SDK rules are not known here: the normalized counts. */
static void normalized_metrics(jw_t *w, const bt_item *item) {
    conv_tokens tokens = conv_tokens_of(item);
    write_count(w, "prompt_tokens", tokens.prompt);
    write_count(w, "completion_tokens", tokens.completion);
    write_count(w, "tokens", tokens.total);
    write_count(w, "prompt_cached_tokens", tokens.cache_read);
    write_count(w, "prompt_cache_creation_tokens", tokens.cache_creation);
    write_count(w, "completion_reasoning_tokens", tokens.reasoning);
}

/* Append the item's metrics object to out. False when it has no token count. */
static bool write_metrics(buf_t *out, const bt_item *item, const native_body *response) {
    bool openai = item->provider && strcmp(item->provider, "openai") == 0;
    size_t start = out->len;
    jw_t w;
    jw_init(&w, out);
    jw_object_open(&w);
    if (openai || is_anthropic(item->provider)) {
        metric_list list = {.count = 0};
        arena_t names = ARENA_INIT;
        int usage = json_get(&response->doc, response->root, "usage");
        if (json_type_of(&response->doc, usage) == JSON_OBJECT) {
            if (openai) openai_metrics(&list, &response->doc, usage, &names);
            else anthropic_metrics(&list, &response->doc, usage, &names);
        }
        arena_free(&names);
        for (int i = 0; i < list.count; i++) {
            jw_key(&w, list.names[i]);
            jw_int(&w, list.values[i]);
        }
    } else {
        normalized_metrics(&w, item);
    }
    jw_object_close(&w);
    return out->len - start > 2;
}

/* The name Braintrust's SDK gives the span of the same call, or NULL when it has none (the
 * item then keeps the GenAI name). */
static const char *sdk_span_name(const bt_item *item) {
    if (is_anthropic(item->provider))
        return str_eq_c(item->endpoint, "/v1/messages") ? "anthropic.messages.create" : NULL;
    if (!item->provider || strcmp(item->provider, "openai") != 0) return NULL;
    if (str_eq_c(item->endpoint, "/v1/chat/completions")) return "Chat Completion";
    if (str_eq_c(item->endpoint, "/v1/responses")) return "openai.responses.create";
    if (str_eq_c(item->endpoint, "/v1/embeddings")) return "Embedding";
    return NULL;
}

/* Record a failed item as the SDK's tracer records a failed call: an "exception" event at the
 * span's end, its type the provider's error type (else the result) and its message the
 * provider's (the collector has set the ERROR status already). */
static void record_exception(span_t *span, const bt_item *item) {
    span_attr attrs[2];
    size_t count = 0;
    bt_str type = str_some(item->error_type) ? item->error_type
                                             : str_c(item_result_name(item->result));
    attrs[count++] = (span_attr){.key = "exception.type", .type = ATTR_STRING, .s = type};
    if (str_some(item->error_message))
        attrs[count++] = (span_attr){.key = "exception.message", .type = ATTR_STRING,
                                     .s = item->error_message};
    span_add_event(span, "exception", span->end_ns, attrs, count);
}

/* braintrust.* for one item's LLM span. Each document is built in the thread's scratch buffer
 * and copied into span->arena. */
static void braintrust_item(span_t *span, const bt_item *item, const convention_ctx *ctx) {
    native_body request, response;
    native_body_parse(&request, item->request_body);
    native_body_parse(&response, item->response_body);
    buf_t *json = conv_scratch_take();

    const char *name = sdk_span_name(item);
    if (name) span->name = str_c(name);
    span_attr_cstr(span, "braintrust.span_attributes", "{\"type\":\"llm\"}");
    if (!ctx->no_content &&
        (write_input(json, item, &request) ||
         write_normalized(json, item->system_instructions, item->system_instruction_count,
                          item->input_messages, item->input_message_count)))
        conv_attr_buf(span, "braintrust.input_json", json);
    buf_clear(json);
    if (!ctx->no_content &&
        (write_output(json, item, &response) ||
         write_normalized(json, NULL, 0, item->output_messages, item->output_message_count)))
        conv_attr_buf(span, "braintrust.output_json", json);
    buf_clear(json);
    write_metadata(json, item, &request, &response, ctx);
    conv_attr_buf(span, "braintrust.metadata", json);
    buf_clear(json);
    if (write_metrics(json, item, &response)) conv_attr_buf(span, "braintrust.metrics", json);
    if (item->result != RESULT_SUCCEEDED) record_exception(span, item);

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

/* braintrust.* for the submit span: its input is the requests (each record in the
 * provider's shape: custom_id and params or body), its metadata the batch as the users asked
 * for it at batches.create time: request count, models, custom_ids. When the batch is too
 * large to carry whole, requests_shown and custom_ids_shown say how much of it is there. */
static void braintrust_submit(span_t *span, const submit_totals *totals) {
    buf_t *json = conv_scratch_take();
    span_attr_cstr(span, "braintrust.span_attributes", "{\"type\":\"task\"}");
    span_attr_str(span, "braintrust.input_json", totals->requests_json);
    jw_t w;
    jw_init(&w, json);
    jw_object_open(&w);
    conv_write_if_some(&w, "provider", str_c(totals->provider));
    conv_write_if_some(&w, "endpoint", totals->endpoint);
    conv_write_if_some(&w, "batch_id", totals->batch_id);
    jw_key(&w, "request_count");
    jw_uint(&w, totals->request_count);
    jw_key(&w, "models");
    jw_array_open(&w);
    for (size_t i = 0; i < totals->model_count; i++) jw_string(&w, totals->models[i]);
    jw_array_close(&w);
    jw_key(&w, "custom_ids");
    jw_array_open(&w);
    for (size_t i = 0; i < totals->custom_id_count; i++) jw_string(&w, totals->custom_ids[i]);
    jw_array_close(&w);
    if (totals->custom_id_count < totals->request_count) {
        jw_key(&w, "custom_ids_shown");
        jw_uint(&w, totals->custom_id_count);
    }
    if (totals->requests_shown < totals->request_count) {
        jw_key(&w, "requests_shown");
        jw_uint(&w, totals->requests_shown);
    }
    jw_object_close(&w);
    conv_attr_buf(span, "braintrust.metadata", json);
    conv_scratch_give(json);
}

const convention convention_braintrust = {
    .name = "braintrust",
    .item = braintrust_item,
    .task = braintrust_task,
    .submit = braintrust_submit,
};
