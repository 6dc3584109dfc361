/* The `openinference` convention: the attributes Arize Phoenix (and other OpenInference
 * backends) read, after the OpenInference semantic conventions (spec/semantic_conventions.md
 * of Arize-ai/openinference). Lists are flattened with indexes, as the spec says:
 * llm.input_messages.0.message.role.
 *
 * Item attributes, in this order:
 *   openinference.span.kind      LLM (EMBEDDING for the embeddings endpoint)
 *   llm.system, llm.provider     the provider ("openai", "anthropic")
 *   llm.model_name               the response's model, else the request's (embedding.model_name
 *                                for embeddings)
 *   llm.invocation_parameters    JSON object of the request parameters (see
 *                                conv_write_request_params; embedding.invocation_parameters
 *                                for embeddings), when the request is known
 *   llm.input_messages.N.message.*   the system instructions first (Anthropic system, Responses
 *                                instructions) as role "system", then the input messages
 *   llm.output_messages.N.message.*  the output messages
 *   llm.tools.N.tool.json_schema the tools offered, {"type":"function","function":{name,
 *                                description, parameters}} (other types: {"type", "name"})
 *   llm.token_count.prompt, .completion, .total, .prompt_details.cache_read,
 *   .prompt_details.cache_write, .completion_details.reasoning   the counts given (prompt
 *                                includes the cache reads and writes)
 *   input.value, input.mime_type    the raw request body (compacted), application/json
 *   output.value, output.mime_type  the raw response body of a succeeded item (compacted),
 *                                application/json
 *                                (not for embeddings: vectors only weigh a trace down)
 * One message: message.role; then, when the message holds exactly one text (or tool result),
 * message.content, else for each text, reasoning, image or other part
 * message.contents.K.message_content.type ("text", "reasoning", "image", or the modality) with
 * .text (unless empty, as redacted thinking is) or .image.image.url (a data: URL for inline
 * data); message.tool_call_id (a tool
 * result's call id); message.tool_calls.M.tool_call.id, .function.name, .function.arguments.
 * With --no-content a message keeps only its role, and llm.tools, input.value and
 * output.value (with their mime types) are left out.
 *
 * Task attributes: openinference.span.kind CHAIN, input.value (the batch: provider, batch id,
 * endpoint, models) and output.value (batch status and request counts), both application/json.
 * Token counts stay on the items: Phoenix sums them over a trace. */
#include <string.h>

#include "conventions/shared.h"
#include "util/arena.h"

/* Add the attributes of one content part (text, reasoning, tool result, image, other media)
 * under prefix "...message.contents.K.message_content.". */
static void add_content_part(span_t *span, const char *prefix, const msg_part *part) {
    const char *type = "text";
    if (part->type == PART_REASONING) type = "reasoning";
    else if (part->type == PART_URI || part->type == PART_BLOB)
        type = str_some(part->modality) ? arena_cstr(span->arena, part->modality) : "image";
    span_attr_cstr(span, conv_key(span, "%stype", prefix), type);
    if (part->type == PART_URI && strcmp(type, "image") == 0) {
        span_attr_str(span, conv_key(span, "%simage.image.url", prefix), part->uri);
    } else if (part->type == PART_BLOB && strcmp(type, "image") == 0) {
        buf_t *url = conv_scratch_take();
        buf_puts(url, "data:");
        buf_append(url, part->mime_type.ptr, part->mime_type.len);
        buf_puts(url, ";base64,");
        buf_append(url, part->content.ptr, part->content.len);
        conv_attr_buf(span, conv_key(span, "%simage.image.url", prefix), url);
        conv_scratch_give(url);
    } else if (part->type != PART_URI && part->type != PART_BLOB && str_some(part->content)) {
        span_attr_str(span, conv_key(span, "%stext", prefix), part->content);
    }
}

/* True for the parts shown as message content (everything but tool calls). */
static bool is_content_part(const msg_part *part) { return part->type != PART_TOOL_CALL; }

/* Add the attributes of one message (role and parts) as list.index.message.*. */
static void add_message(span_t *span, const char *list, size_t index, bt_str role,
                        const msg_part *parts, size_t part_count, bool no_content) {
    span_attr_str(span, conv_key(span, "%s.%zu.message.role", list, index), role);
    if (no_content) return;
    size_t content_parts = 0;
    const msg_part *only = NULL;
    for (size_t i = 0; i < part_count; i++) {
        if (!is_content_part(&parts[i])) continue;
        content_parts++;
        only = &parts[i];
    }
    if (content_parts == 1 &&
        (only->type == PART_TEXT || only->type == PART_TOOL_CALL_RESPONSE)) {
        span_attr_str(span, conv_key(span, "%s.%zu.message.content", list, index),
                      only->content);
    } else if (content_parts) {
        size_t k = 0;
        for (size_t i = 0; i < part_count; i++) {
            if (!is_content_part(&parts[i])) continue;
            add_content_part(span, conv_key(span, "%s.%zu.message.contents.%zu.message_content.",
                                            list, index, k++),
                             &parts[i]);
        }
    }
    for (size_t i = 0; i < part_count; i++) {
        if (parts[i].type != PART_TOOL_CALL_RESPONSE || !str_some(parts[i].id)) continue;
        span_attr_str(span, conv_key(span, "%s.%zu.message.tool_call_id", list, index),
                      parts[i].id);
        break;
    }
    size_t call = 0;
    for (size_t i = 0; i < part_count; i++) {
        const msg_part *part = &parts[i];
        if (part->type != PART_TOOL_CALL) continue;
        const char *prefix =
            conv_key(span, "%s.%zu.message.tool_calls.%zu.tool_call.", list, index, call++);
        if (str_some(part->id)) span_attr_str(span, conv_key(span, "%sid", prefix), part->id);
        span_attr_str(span, conv_key(span, "%sfunction.name", prefix), part->name);
        if (str_some(part->arguments))
            span_attr_str(span, conv_key(span, "%sfunction.arguments", prefix), part->arguments);
    }
}

/* Add llm.tools.N.tool.json_schema for each tool offered. */
static void add_tools(span_t *span, const bt_item *item) {
    if (!item->tool_count) return;
    buf_t *json = conv_scratch_take();
    for (size_t i = 0; i < item->tool_count; i++) {
        const tool_def *tool = &item->tools[i];
        bool function = !str_some(tool->type) || str_eq_c(tool->type, "function");
        buf_clear(json);
        jw_t w;
        jw_init(&w, json);
        jw_object_open(&w);
        jw_key(&w, "type");
        if (function) jw_cstring(&w, "function");
        else jw_string(&w, tool->type);
        if (function) {
            jw_key(&w, "function");
            jw_object_open(&w);
        }
        jw_key(&w, "name");
        jw_string(&w, tool->name);
        if (function && str_some(tool->description)) {
            jw_key(&w, "description");
            jw_string(&w, tool->description);
        }
        if (function && str_some(tool->parameters)) {
            jw_key(&w, "parameters");
            conv_write_raw(&w, tool->parameters);
        }
        if (function) jw_object_close(&w);
        jw_object_close(&w);
        conv_attr_buf(span, conv_key(span, "llm.tools.%zu.tool.json_schema", i), json);
    }
    conv_scratch_give(json);
}

/* openinference.* and llm.* for one item's LLM span. */
static void openinference_item(span_t *span, const bt_item *item, const convention_ctx *ctx) {
    bool embedding = item->operation && strcmp(item->operation, "embeddings") == 0;
    span_attr_cstr(span, "openinference.span.kind", embedding ? "EMBEDDING" : "LLM");
    if (item->provider) {
        span_attr_cstr(span, "llm.system", item->provider);
        span_attr_cstr(span, "llm.provider", item->provider);
    }
    bt_str model = str_some(item->response_model) ? item->response_model : item->request_model;
    if (str_some(model))
        span_attr_str(span, embedding ? "embedding.model_name" : "llm.model_name", model);

    native_body request;
    native_body_parse(&request, item->request_body);
    if (request.root >= 0) {
        buf_t *json = conv_scratch_take();
        jw_t w;
        jw_init(&w, json);
        jw_object_open(&w);
        conv_write_request_params(&w, &request, ctx->no_content, NULL);
        jw_object_close(&w);
        conv_attr_buf(span, embedding ? "embedding.invocation_parameters"
                                      : "llm.invocation_parameters",
                      json);
        conv_scratch_give(json);
    }
    native_body_free(&request);

    size_t index = 0;
    if (item->system_instruction_count)
        add_message(span, "llm.input_messages", index++, STR_LIT("system"),
                    item->system_instructions, item->system_instruction_count, ctx->no_content);
    for (size_t i = 0; i < item->input_message_count; i++) {
        const msg *message = &item->input_messages[i];
        add_message(span, "llm.input_messages", index++, message->role, message->parts,
                    message->part_count, ctx->no_content);
    }
    for (size_t i = 0; i < item->output_message_count; i++) {
        const msg *message = &item->output_messages[i];
        add_message(span, "llm.output_messages", i, message->role, message->parts,
                    message->part_count, ctx->no_content);
    }
    if (!ctx->no_content) add_tools(span, item);

    conv_tokens tokens = conv_tokens_of(item);
    conv_attr_opt_int(span, "llm.token_count.prompt", tokens.prompt);
    conv_attr_opt_int(span, "llm.token_count.completion", tokens.completion);
    conv_attr_opt_int(span, "llm.token_count.total", tokens.total);
    conv_attr_opt_int(span, "llm.token_count.prompt_details.cache_read", tokens.cache_read);
    conv_attr_opt_int(span, "llm.token_count.prompt_details.cache_write",
                      tokens.cache_creation);
    conv_attr_opt_int(span, "llm.token_count.completion_details.reasoning", tokens.reasoning);

    if (ctx->no_content) return;
    if (str_some(item->request_body)) {
        conv_attr_compact(span, "input.value", item->request_body);
        span_attr_cstr(span, "input.mime_type", "application/json");
    }
    if (item->result == RESULT_SUCCEEDED && !embedding && str_some(item->response_body)) {
        conv_attr_compact(span, "output.value", item->response_body);
        span_attr_cstr(span, "output.mime_type", "application/json");
    }
}

/* openinference.* for the task span: a CHAIN whose input and output describe the batch. */
static void openinference_task(span_t *span, const task_totals *totals,
                               const convention_ctx *ctx) {
    buf_t *json = conv_scratch_take();
    span_attr_cstr(span, "openinference.span.kind", "CHAIN");
    conv_task_input_json(json, totals);
    conv_attr_buf(span, "input.value", json);
    span_attr_cstr(span, "input.mime_type", "application/json");
    buf_clear(json);
    conv_task_output_json(json, totals);
    conv_attr_buf(span, "output.value", json);
    span_attr_cstr(span, "output.mime_type", "application/json");
    conv_scratch_give(json);
}

const convention convention_openinference = {
    .name = "openinference",
    .item = openinference_item,
    .task = openinference_task,
};
