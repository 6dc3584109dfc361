/* The `genai` convention: OpenTelemetry GenAI semantic-convention attributes (gen_ai.*,
 * error.type) for one item's LLM span and for the task span.
 *
 * Attribute names and types follow the GenAI attribute registry (model/gen-ai/registry.yaml
 * of open-telemetry/semantic-conventions-genai, the repository the GenAI conventions moved
 * to after semantic-conventions v1.41.0). Note that the registry types
 * gen_ai.request.top_k as a double, so it is written as one.
 *
 * The message JSON follows that repository's schemas gen-ai-input-messages.json,
 * gen-ai-output-messages.json, gen-ai-system-instructions.json and
 * gen-ai-tool-definitions.json:
 *   message      {"role", "parts", "finish_reason" (output messages only)}
 *   text         {"type":"text", "content"}
 *   tool_call    {"type":"tool_call", "id"?, "name", "arguments"?}
 *   tool_call_response {"type":"tool_call_response", "id"?, "response"}
 *   reasoning    {"type":"reasoning", "content", "redacted":true (only for reasoning the
 *                provider gave encrypted, Anthropic redacted_thinking: content is then "",
 *                as the schema requires a content, and the part says why)}
 *   uri          {"type":"uri", "modality", "mime_type"?, "uri"}
 *   blob         {"type":"blob", "modality", "mime_type"?, "content"}
 *   tool         {"type", "name", "description"?, "parameters"?}
 * Optional fields ("?") are omitted when empty; so is an output message's finish_reason
 * (the schema requires one, but an invented value would be worse than none).
 *
 * Item attributes are emitted in the order of SPEC section 5's table, which golden tests
 * rely on:
 *   gen_ai.operation.name, gen_ai.provider.name,
 *   gen_ai.request.model, .max_tokens, .temperature, .top_p, .top_k, .stop_sequences,
 *   .seed, .frequency_penalty, .presence_penalty, .choice.count,
 *   gen_ai.embeddings.dimension.count (the dimensions an embeddings request asks for),
 *   gen_ai.response.id, gen_ai.response.model, gen_ai.response.finish_reasons,
 *   gen_ai.usage.input_tokens, .output_tokens, .cache_read.input_tokens,
 *   .cache_creation.input_tokens, .reasoning.output_tokens,
 *   gen_ai.input.messages, gen_ai.output.messages, gen_ai.system_instructions,
 *   gen_ai.tool.definitions, openai.request.id, openai.response.service_tier,
 *   openai.response.system_fingerprint, azure.ai.openai.prompt_filter_results and
 *   azure.ai.openai.content_filter_results (Azure's content filter, compact JSON),
 *   http.response.status_code (an errored line's),
 *   error.type.
 * Task attributes: gen_ai.provider.name, gen_ai.request.model (exactly one model),
 *   batchtrace.models, then the summed gen_ai.usage.* in the order above. */
#include "conventions/convention.h"
#include "conventions/shared.h"

#include "json/writer.h"
#include "util/arena.h"
#include "util/buf.h"

/* The content documents are written straight into a buf_t rather than through the jw_t
 * writer: their shape is fixed, so the keys, brackets and commas are literals appended
 * whole (no strlen or escaping of constant keys, no comma bookkeeping), and only values go
 * through json_escape_string. The bytes are the ones jw_t would write. */

/* Append a string literal; its length is known at compile time. */
#define PUT_LITERAL(out, literal) buf_append((out), (literal), sizeof(literal) - 1)

/* Append value as a quoted, escaped JSON string. */
static void put_string(buf_t *out, bt_str value) {
    json_escape_string(out, value.ptr, value.len);
}

/* Append value as is when it is raw JSON (and not empty), else as a JSON string. */
static void put_maybe_json(buf_t *out, bt_str value, bool value_is_json) {
    if (value_is_json && str_some(value))
        buf_append(out, value.ptr, value.len);
    else
        put_string(out, value);
}

/* Append key_member (the text ,"key": of a constant key) and value, when value is
 * non-empty. */
static void put_optional_string(buf_t *out, bt_str key_member, bt_str value) {
    if (!str_some(value)) return;
    buf_append(out, key_member.ptr, key_member.len);
    put_string(out, value);
}

/* Append a part's content: its literal when the provider wrote it as the writer would (the
 * same bytes, without escaping the text again), else as put_maybe_json. */
static void put_content(buf_t *out, const msg_part *part) {
    if (part->content_literal.len)
        buf_append(out, part->content_literal.ptr, part->content_literal.len);
    else
        put_maybe_json(out, part->content, part->content_is_json);
}

/* Append one message part as its schema object. */
static void put_part(buf_t *out, const msg_part *part) {
    switch (part->type) {
    case PART_TEXT:
        PUT_LITERAL(out, "{\"type\":\"text\",\"content\":");
        put_content(out, part);
        break;
    case PART_TOOL_CALL:
        PUT_LITERAL(out, "{\"type\":\"tool_call\"");
        put_optional_string(out, STR_LIT(",\"id\":"), part->id);
        PUT_LITERAL(out, ",\"name\":");
        put_string(out, part->name);
        if (str_some(part->arguments)) {
            PUT_LITERAL(out, ",\"arguments\":");
            put_maybe_json(out, part->arguments, part->arguments_is_json);
        }
        break;
    case PART_TOOL_CALL_RESPONSE:
        PUT_LITERAL(out, "{\"type\":\"tool_call_response\"");
        put_optional_string(out, STR_LIT(",\"id\":"), part->id);
        PUT_LITERAL(out, ",\"response\":");
        put_content(out, part);
        break;
    case PART_REASONING:
        PUT_LITERAL(out, "{\"type\":\"reasoning\",\"content\":");
        put_content(out, part);
        if (part->redacted) PUT_LITERAL(out, ",\"redacted\":true");
        break;
    case PART_URI:
        PUT_LITERAL(out, "{\"type\":\"uri\",\"modality\":");
        put_string(out, part->modality);
        put_optional_string(out, STR_LIT(",\"mime_type\":"), part->mime_type);
        PUT_LITERAL(out, ",\"uri\":");
        put_string(out, part->uri);
        break;
    case PART_BLOB:
        PUT_LITERAL(out, "{\"type\":\"blob\",\"modality\":");
        put_string(out, part->modality);
        put_optional_string(out, STR_LIT(",\"mime_type\":"), part->mime_type);
        PUT_LITERAL(out, ",\"content\":");
        put_string(out, part->content);
        break;
    }
    buf_putc(out, '}');
}

/* Append an array of parts (a message's parts, or the system instructions). */
static void put_parts(buf_t *out, const msg_part *parts, size_t part_count) {
    buf_putc(out, '[');
    for (size_t i = 0; i < part_count; i++) {
        if (i) buf_putc(out, ',');
        put_part(out, &parts[i]);
    }
    buf_putc(out, ']');
}

/* Append an array of messages; output messages also carry their finish_reason. */
static void put_messages(buf_t *out, const msg *messages, size_t message_count,
                         bool with_finish_reason) {
    buf_putc(out, '[');
    for (size_t i = 0; i < message_count; i++) {
        const msg *message = &messages[i];
        if (i) buf_putc(out, ',');
        PUT_LITERAL(out, "{\"role\":");
        put_string(out, message->role);
        PUT_LITERAL(out, ",\"parts\":");
        put_parts(out, message->parts, message->part_count);
        if (with_finish_reason)
            put_optional_string(out, STR_LIT(",\"finish_reason\":"), message->finish_reason);
        buf_putc(out, '}');
    }
    buf_putc(out, ']');
}

/* Append the tool definitions array; a tool without a type is a "function". */
static void put_tool_definitions(buf_t *out, const tool_def *tools, size_t tool_count) {
    buf_putc(out, '[');
    for (size_t i = 0; i < tool_count; i++) {
        const tool_def *tool = &tools[i];
        if (i) buf_putc(out, ',');
        PUT_LITERAL(out, "{\"type\":");
        if (str_some(tool->type))
            put_string(out, tool->type);
        else
            PUT_LITERAL(out, "\"function\"");
        PUT_LITERAL(out, ",\"name\":");
        put_string(out, tool->name);
        put_optional_string(out, STR_LIT(",\"description\":"), tool->description);
        if (str_some(tool->parameters)) {
            PUT_LITERAL(out, ",\"parameters\":");
            buf_append(out, tool->parameters.ptr, tool->parameters.len);
        }
        buf_putc(out, '}');
    }
    buf_putc(out, ']');
}

/* Where one JSON document sits inside the shared build buffer. */
typedef struct json_slice {
    size_t offset;   /* first byte in the buffer */
    size_t length;   /* bytes; 0 when the document was not built */
} json_slice;

/* The four content documents of one item. */
typedef struct content_json {
    json_slice input_messages;      /* gen_ai.input.messages */
    json_slice output_messages;     /* gen_ai.output.messages */
    json_slice system_instructions; /* gen_ai.system_instructions */
    json_slice tool_definitions;    /* gen_ai.tool.definitions */
} content_json;

/* Which document build_document writes. */
typedef enum content_kind {
    CONTENT_INPUT_MESSAGES,
    CONTENT_OUTPUT_MESSAGES,
    CONTENT_SYSTEM_INSTRUCTIONS,
    CONTENT_TOOL_DEFINITIONS,
} content_kind;

/* Append one content document of item to out and say where it is. */
static json_slice build_document(buf_t *out, const bt_item *item, content_kind kind) {
    json_slice slice = {out->len, 0};
    switch (kind) {
    case CONTENT_INPUT_MESSAGES:
        put_messages(out, item->input_messages, item->input_message_count, false);
        break;
    case CONTENT_OUTPUT_MESSAGES:
        put_messages(out, item->output_messages, item->output_message_count, true);
        break;
    case CONTENT_SYSTEM_INSTRUCTIONS:
        put_parts(out, item->system_instructions, item->system_instruction_count);
        break;
    case CONTENT_TOOL_DEFINITIONS:
        put_tool_definitions(out, item->tools, item->tool_count);
        break;
    }
    slice.length = out->len - slice.offset;
    return slice;
}

/* The slice's bytes inside base (the arena copy of the build buffer). */
static bt_str slice_str(const char *base, json_slice slice) {
    return (bt_str){base + slice.offset, slice.length};
}

/* Add key with the slice's JSON when it was built: text the writer escaped and raw
 * values of validated documents, so well-formed UTF-8 (span_attr_str_valid_utf8). */
static void attr_json(span_t *span, const char *key, const char *base, json_slice slice) {
    if (slice.length) span_attr_str_valid_utf8(span, key, slice_str(base, slice));
}

/* Add key = value when the provider gave the integer. */
static void attr_opt_i64(span_t *span, const char *key, opt_i64 value) {
    if (value.has) span_attr_int(span, key, value.value);
}

/* Add key = value when the provider gave the number. */
static void attr_opt_f64(span_t *span, const char *key, opt_f64 value) {
    if (value.has) span_attr_double(span, key, value.value);
}

/* Add key = value (borrowed) when the string is non-empty. */
static void attr_opt_str(span_t *span, const char *key, bt_str value) {
    if (str_some(value)) span_attr_str(span, key, value);
}

/* gen_ai.* and error.type for one item's LLM span. The content JSON is built in the thread's
 * scratch buffer, then copied once into span->arena; other values are borrowed from the
 * item. */
static void genai_item(span_t *span, const bt_item *item, const convention_ctx *ctx) {
    content_json content = {{0, 0}, {0, 0}, {0, 0}, {0, 0}};
    const char *json_base = NULL;
    if (!ctx->no_content) {
        buf_t *json = conv_scratch_take();
        if (item->input_message_count)
            content.input_messages = build_document(json, item, CONTENT_INPUT_MESSAGES);
        if (item->output_message_count)
            content.output_messages = build_document(json, item, CONTENT_OUTPUT_MESSAGES);
        if (item->system_instruction_count)
            content.system_instructions = build_document(json, item, CONTENT_SYSTEM_INSTRUCTIONS);
        if (item->tool_count)
            content.tool_definitions = build_document(json, item, CONTENT_TOOL_DEFINITIONS);
        if (json->len) json_base = arena_strndup(span->arena, json->data, json->len).ptr;
        conv_scratch_give(json);
    }

    if (item->operation) span_attr_cstr(span, "gen_ai.operation.name", item->operation);
    if (item->provider) span_attr_cstr(span, "gen_ai.provider.name", item->provider);

    attr_opt_str(span, "gen_ai.request.model", item->request_model);
    attr_opt_i64(span, "gen_ai.request.max_tokens", item->max_tokens);
    attr_opt_f64(span, "gen_ai.request.temperature", item->temperature);
    attr_opt_f64(span, "gen_ai.request.top_p", item->top_p);
    if (item->top_k.has)
        span_attr_double(span, "gen_ai.request.top_k", (double)item->top_k.value);
    if (item->stop_sequence_count)
        span_attr_strs(span, "gen_ai.request.stop_sequences", item->stop_sequences,
                       item->stop_sequence_count);
    attr_opt_i64(span, "gen_ai.request.seed", item->seed);
    attr_opt_f64(span, "gen_ai.request.frequency_penalty", item->frequency_penalty);
    attr_opt_f64(span, "gen_ai.request.presence_penalty", item->presence_penalty);
    attr_opt_i64(span, "gen_ai.request.choice.count", item->choice_count);
    attr_opt_i64(span, "gen_ai.embeddings.dimension.count", item->embedding_dimensions);

    attr_opt_str(span, "gen_ai.response.id", item->response_id);
    attr_opt_str(span, "gen_ai.response.model", item->response_model);
    if (item->finish_reason_count)
        span_attr_strs(span, "gen_ai.response.finish_reasons", item->finish_reasons,
                       item->finish_reason_count);

    attr_opt_i64(span, "gen_ai.usage.input_tokens", item->input_tokens);
    attr_opt_i64(span, "gen_ai.usage.output_tokens", item->output_tokens);
    attr_opt_i64(span, "gen_ai.usage.cache_read.input_tokens", item->cache_read_tokens);
    attr_opt_i64(span, "gen_ai.usage.cache_creation.input_tokens",
                 item->cache_creation_tokens);
    attr_opt_i64(span, "gen_ai.usage.reasoning.output_tokens", item->reasoning_tokens);

    attr_json(span, "gen_ai.input.messages", json_base, content.input_messages);
    attr_json(span, "gen_ai.output.messages", json_base, content.output_messages);
    attr_json(span, "gen_ai.system_instructions", json_base, content.system_instructions);
    attr_json(span, "gen_ai.tool.definitions", json_base, content.tool_definitions);

    /* OpenAI's own attributes (the openai.* registry of the GenAI conventions, and the
     * line's x-request-id, which the registry has no name for yet), and the HTTP status of
     * an errored line (the general http.* convention). */
    attr_opt_str(span, "openai.request.id", item->request_id);
    attr_opt_str(span, "openai.response.service_tier", item->service_tier);
    attr_opt_str(span, "openai.response.system_fingerprint", item->system_fingerprint);
    if (str_some(item->prompt_filter))
        conv_attr_compact(span, "azure.ai.openai.prompt_filter_results", item->prompt_filter);
    if (str_some(item->output_filter))
        conv_attr_compact(span, "azure.ai.openai.content_filter_results", item->output_filter);
    if (item->http_status) span_attr_int(span, "http.response.status_code", item->http_status);

    if (item->result != RESULT_SUCCEEDED) {
        /* A failure always has an error.type: the provider's code, else the result name. */
        if (str_some(item->error_type))
            span_attr_str(span, "error.type", item->error_type);
        else
            span_attr_cstr(span, "error.type", item_result_name(item->result));
    }
}

/* Add the summed usage counters that any item reported. */
static void attr_token_totals(span_t *span, const token_totals *tokens) {
    if (tokens->has_input) span_attr_int(span, "gen_ai.usage.input_tokens", tokens->input);
    if (tokens->has_output) span_attr_int(span, "gen_ai.usage.output_tokens", tokens->output);
    if (tokens->has_cache_read)
        span_attr_int(span, "gen_ai.usage.cache_read.input_tokens", tokens->cache_read);
    if (tokens->has_cache_creation)
        span_attr_int(span, "gen_ai.usage.cache_creation.input_tokens",
                      tokens->cache_creation);
    if (tokens->has_reasoning)
        span_attr_int(span, "gen_ai.usage.reasoning.output_tokens", tokens->reasoning);
}

/* gen_ai.* for the task span: provider, model(s) and summed tokens; never content.
 * Values are borrowed from totals. */
static void genai_task(span_t *span, const task_totals *totals, const convention_ctx *ctx) {
    if (totals->provider) span_attr_cstr(span, "gen_ai.provider.name", totals->provider);
    if (totals->model_count == 1)
        span_attr_str(span, "gen_ai.request.model", totals->models[0]);
    if (totals->model_count)
        span_attr_strs(span, "batchtrace.models", totals->models, totals->model_count);
    attr_token_totals(span, &totals->tokens);
}

const convention convention_genai = {
    .name = "genai",
    .item = genai_item,
    .task = genai_task,
};
