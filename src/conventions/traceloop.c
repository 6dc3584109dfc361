/* The `traceloop` convention: the attributes OpenLLMetry's instrumentations write (the
 * Traceloop semantic conventions, opentelemetry-semantic-conventions-ai), read by Traceloop,
 * Respan and other OpenLLMetry-based backends. The gen_ai.request.* / gen_ai.response.*
 * attributes OpenLLMetry shares with the GenAI conventions come from `genai` already.
 *
 * Item attributes, in this order:
 *   llm.request.type             chat, completion or embedding
 *   gen_ai.system                the provider ("openai", "anthropic")
 *   llm.request.functions.N.name, .description, .parameters (OpenAI) or .input_schema
 *                                (Anthropic)   the tools offered
 *   gen_ai.prompt.N.role, .content, .tool_call_id, .tool_calls.M.id, .name, .arguments
 *                                the system instructions first (role "system"), then the input
 *                                messages; content is the text parts concatenated
 *   gen_ai.completion.N.role, .content, .finish_reason, .tool_calls.M.*
 *                                the output messages; as OpenLLMetry does for Anthropic, each
 *                                reasoning (thinking) part comes first as a completion of its
 *                                own with role "thinking"
 *   gen_ai.usage.prompt_tokens (cache reads and writes included), gen_ai.usage.completion_tokens,
 *   llm.usage.total_tokens, gen_ai.usage.cache_read_input_tokens,
 *   gen_ai.usage.cache_creation_input_tokens     the counts given
 * With --no-content prompts and completions keep only their role (and finish_reason), and the
 * tools are left out.
 *
 * Task attributes: traceloop.span.kind "workflow", traceloop.entity.name and
 * traceloop.workflow.name (the span's name, e.g. openai.batch), traceloop.entity.input (the
 * batch: provider, batch id, endpoint, models) and traceloop.entity.output (batch status and
 * request counts) as JSON. */
#include <string.h>

#include "conventions/shared.h"

/* OpenLLMetry's llm.request.type for a GenAI operation name. */
static const char *request_type(const char *operation) {
    if (operation && strcmp(operation, "text_completion") == 0) return "completion";
    if (operation && strcmp(operation, "embeddings") == 0) return "embedding";
    return "chat";
}

/* Add prefix.tool_calls.M.id, .name, .arguments for each tool call among parts. */
static void add_tool_calls(span_t *span, const char *prefix, const msg_part *parts,
                           size_t part_count) {
    size_t call = 0;
    for (size_t i = 0; i < part_count; i++) {
        const msg_part *part = &parts[i];
        if (part->type != PART_TOOL_CALL) continue;
        if (str_some(part->id))
            span_attr_str(span, conv_key(span, "%s.tool_calls.%zu.id", prefix, call), part->id);
        span_attr_str(span, conv_key(span, "%s.tool_calls.%zu.name", prefix, call), part->name);
        if (str_some(part->arguments))
            span_attr_str(span, conv_key(span, "%s.tool_calls.%zu.arguments", prefix, call),
                          part->arguments);
        call++;
    }
}

/* Add one prompt gen_ai.prompt.index.* from a message. */
static void add_prompt(span_t *span, size_t index, const msg *message, bool no_content) {
    const char *prefix = conv_key(span, "gen_ai.prompt.%zu", index);
    span_attr_str(span, conv_key(span, "%s.role", prefix), message->role);
    if (no_content) return;
    bt_str text = conv_message_text(span->arena, message);
    if (str_some(text)) span_attr_str(span, conv_key(span, "%s.content", prefix), text);
    for (size_t i = 0; i < message->part_count; i++) {
        const msg_part *part = &message->parts[i];
        if (part->type != PART_TOOL_CALL_RESPONSE || !str_some(part->id)) continue;
        span_attr_str(span, conv_key(span, "%s.tool_call_id", prefix), part->id);
        break;
    }
    add_tool_calls(span, prefix, message->parts, message->part_count);
}

/* Add the completions of one output message from index *next on: a "thinking" completion per
 * reasoning part, then the message itself. */
static void add_completion(span_t *span, size_t *next, const msg *message, bool no_content) {
    for (size_t i = 0; i < message->part_count; i++) {
        const msg_part *part = &message->parts[i];
        if (part->type != PART_REASONING) continue;
        const char *prefix = conv_key(span, "gen_ai.completion.%zu", (*next)++);
        span_attr_cstr(span, conv_key(span, "%s.role", prefix), "thinking");
        if (!no_content && str_some(part->content))
            span_attr_str(span, conv_key(span, "%s.content", prefix), part->content);
    }
    const char *prefix = conv_key(span, "gen_ai.completion.%zu", (*next)++);
    span_attr_str(span, conv_key(span, "%s.role", prefix), message->role);
    if (!no_content) {
        bt_str text = conv_message_text(span->arena, message);
        if (str_some(text)) span_attr_str(span, conv_key(span, "%s.content", prefix), text);
    }
    if (str_some(message->finish_reason))
        span_attr_str(span, conv_key(span, "%s.finish_reason", prefix), message->finish_reason);
    if (!no_content) add_tool_calls(span, prefix, message->parts, message->part_count);
}

/* Add llm.request.functions.N.* for each tool offered. */
static void add_functions(span_t *span, const bt_item *item) {
    bool anthropic = item->provider && strcmp(item->provider, "anthropic") == 0;
    for (size_t i = 0; i < item->tool_count; i++) {
        const tool_def *tool = &item->tools[i];
        span_attr_str(span, conv_key(span, "llm.request.functions.%zu.name", i), tool->name);
        if (str_some(tool->description))
            span_attr_str(span, conv_key(span, "llm.request.functions.%zu.description", i),
                          tool->description);
        if (str_some(tool->parameters))
            conv_attr_compact(span,
                              conv_key(span, "llm.request.functions.%zu.%s", i,
                                       anthropic ? "input_schema" : "parameters"),
                              tool->parameters);
    }
}

/* OpenLLMetry attributes for one item's LLM span. */
static void traceloop_item(span_t *span, const bt_item *item, const convention_ctx *ctx) {
    span_attr_cstr(span, "llm.request.type", request_type(item->operation));
    if (item->provider) span_attr_cstr(span, "gen_ai.system", item->provider);
    if (!ctx->no_content) add_functions(span, item);

    size_t index = 0;
    if (item->system_instruction_count) {
        msg system = {STR_LIT("system"), item->system_instructions,
                      item->system_instruction_count, STR_NULL};
        add_prompt(span, index++, &system, ctx->no_content);
    }
    for (size_t i = 0; i < item->input_message_count; i++)
        add_prompt(span, index++, &item->input_messages[i], ctx->no_content);
    size_t next = 0;
    for (size_t i = 0; i < item->output_message_count; i++)
        add_completion(span, &next, &item->output_messages[i], ctx->no_content);

    conv_tokens tokens = conv_tokens_of(item);
    conv_attr_opt_int(span, "gen_ai.usage.prompt_tokens", tokens.prompt);
    conv_attr_opt_int(span, "gen_ai.usage.completion_tokens", tokens.completion);
    conv_attr_opt_int(span, "llm.usage.total_tokens", tokens.total);
    conv_attr_opt_int(span, "gen_ai.usage.cache_read_input_tokens", tokens.cache_read);
    conv_attr_opt_int(span, "gen_ai.usage.cache_creation_input_tokens", tokens.cache_creation);
}

/* traceloop.* for the task span: the batch as a workflow. */
static void traceloop_task(span_t *span, const task_totals *totals, const convention_ctx *ctx) {
    span_attr_cstr(span, "traceloop.span.kind", "workflow");
    span_attr_str(span, "traceloop.entity.name", span->name);
    span_attr_str(span, "traceloop.workflow.name", span->name);
    buf_t *json = conv_scratch_take();
    conv_task_input_json(json, totals);
    conv_attr_buf(span, "traceloop.entity.input", json);
    buf_clear(json);
    conv_task_output_json(json, totals);
    conv_attr_buf(span, "traceloop.entity.output", json);
    conv_scratch_give(json);
}

const convention convention_traceloop = {
    .name = "traceloop",
    .item = traceloop_item,
    .task = traceloop_task,
};
