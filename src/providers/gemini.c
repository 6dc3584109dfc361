/* The Google Gemini API batch mode (provider gcp.gemini): input lines {key, request:
 * GenerateContentRequest} (or EmbedContentRequest), result lines {key, response:
 * GenerateContentResponse} or {key, error:{code, message, status}}, and the batch (the
 * GenerateContentBatch, alone or as the metadata of its long-running Operation, in REST's
 * camelCase or the SDKs' snake_case), turned into the normalized item of providers/item.h.
 *
 * Mapping (docs/providers.md): contents -> input messages (role model -> assistant,
 * function -> tool; text, thought text -> reasoning, inlineData -> blob, fileData -> uri,
 * functionCall -> tool call, functionResponse -> tool call response); systemInstruction ->
 * system instructions; tools[].functionDeclarations -> tools; generationConfig ->
 * parameters; candidates -> output messages with their finishReason; usageMetadata ->
 * tokens (input = promptTokenCount, which includes the cached tokens; output =
 * candidatesTokenCount + thoughtsTokenCount, as OpenAI's completion tokens include
 * reasoning). The key is the custom_id. A batch object's inlined requests and responses are
 * rendered as those same lines (gemini_batch_records), which the engine reads as files. */
#include <stdio.h>
#include <string.h>

#include "providers/gemini.h"
#include "providers/provider.h"
#include "json/writer.h"
#include "providers/record.h"

#define GEMINI_ENDPOINT "generateContent"
#define GEMINI_EMBED_ENDPOINT "embedContent"

/* ---- messages ---- */

/* The GenAI role of a Gemini role: model -> assistant, function -> tool, others as is;
 * none -> fallback. */
static bt_str role_of(const record_ctx *c, int role_tok, bt_str fallback) {
    bt_str role = rec_str(c, role_tok);
    if (str_eq_c(role, "model")) return STR_LIT("assistant");
    if (str_eq_c(role, "function")) return STR_LIT("tool");
    return role.len ? role : fallback;
}

/* Append one Part: text (thought: true -> reasoning), inlineData, fileData, functionCall,
 * functionResponse, executableCode / codeExecutionResult (as text). Others are skipped. */
static void add_part(const record_ctx *c, msg_builder *b, int part) {
    if (!rec_is(c, part, JSON_OBJECT)) return;
    int text = json_get(c->doc, part, "text");
    if (rec_is(c, text, JSON_STRING)) {
        bool thought = json_type_of(c->doc, json_get(c->doc, part, "thought")) == JSON_TRUE;
        msg_builder_string(c, b, thought ? PART_REASONING : PART_TEXT, text);
        return;
    }
    int inline_data = rec_get_typed(c, part, "inlineData", "inline_data", JSON_OBJECT);
    int file_data = rec_get_typed(c, part, "fileData", "file_data", JSON_OBJECT);
    int call = rec_get_typed(c, part, "functionCall", "function_call", JSON_OBJECT);
    int response = rec_get_typed(c, part, "functionResponse", "function_response", JSON_OBJECT);
    int code = rec_get_typed(c, part, "executableCode", "executable_code", JSON_OBJECT);
    int code_result =
        rec_get_typed(c, part, "codeExecutionResult", "code_execution_result", JSON_OBJECT);
    if (inline_data >= 0) {
        msg_part *out = msg_builder_add(c, b, PART_BLOB);
        out->mime_type = rec_str_field(c, inline_data, "mimeType", "mime_type");
        out->modality = mime_modality(out->mime_type);
        out->content = rec_str_field(c, inline_data, "data", NULL);
    } else if (file_data >= 0) {
        msg_part *out = msg_builder_add(c, b, PART_URI);
        out->mime_type = rec_str_field(c, file_data, "mimeType", "mime_type");
        out->modality = mime_modality(out->mime_type);
        out->uri = rec_str_field(c, file_data, "fileUri", "file_uri");
    } else if (call >= 0) {
        msg_part *out = msg_builder_add(c, b, PART_TOOL_CALL);
        out->id = rec_str_field(c, call, "id", NULL);
        out->name = rec_str_field(c, call, "name", NULL);
        out->arguments = rec_raw(c, json_get(c->doc, call, "args"));
        out->arguments_is_json = out->arguments.len > 0;
    } else if (response >= 0) {
        msg_part *out = msg_builder_add(c, b, PART_TOOL_CALL_RESPONSE);
        out->id = rec_str_field(c, response, "id", NULL);
        out->name = rec_str_field(c, response, "name", NULL);
        out->content = rec_raw(c, json_get(c->doc, response, "response"));
        out->content_is_json = out->content.len > 0;
    } else if (code >= 0) {
        msg_builder_string(c, b, PART_TEXT, rec_get(c, code, "code", NULL));
    } else if (code_result >= 0) {
        msg_builder_string(c, b, PART_TEXT, rec_get(c, code_result, "output", NULL));
    }
}

/* One Content {role, parts[]} as a message (role fallback when it has none). Function
 * responses come back in a "user" content: holding only those, it speaks as "tool". */
static msg content_message(const record_ctx *c, int content, bt_str fallback) {
    int parts = rec_get_typed(c, content, "parts", NULL, JSON_ARRAY);
    msg_builder b;
    msg_builder_init(c, &b, role_of(c, json_get(c->doc, content, "role"), fallback),
                     (size_t)json_count(c->doc, parts));
    for (int part = json_first(c->doc, parts), i = 0; i < json_count(c->doc, parts);
         part = json_next(c->doc, part), i++)
        add_part(c, &b, part);
    bool only_tool_results = b.m.part_count > 0;
    for (size_t i = 0; i < b.m.part_count; i++)
        if (b.m.parts[i].type != PART_TOOL_CALL_RESPONSE) only_tool_results = false;
    if (only_tool_results) b.m.role = STR_LIT("tool");
    return b.m;
}

/* ---- requests ---- */

/* The required, non-empty key of a record (its member, or -1). */
static int key_at(const record_ctx *c, int tok, bt_str *key) {
    if (!rec_present(c, tok)) return fail(c->reason, "missing \"key\"");
    if (!rec_is(c, tok, JSON_STRING)) return fail(c->reason, "\"key\" is not a string");
    *key = rec_str(c, tok);
    if (!key->len) return fail(c->reason, "\"key\" is empty");
    return 0;
}

/* provider_ops.request_custom_id: the key of an input line. */
static int gemini_request_custom_id(const json_doc *doc, int root, arena_t *a,
                                    bt_str *custom_id, char *reason) {
    record_ctx c = {doc, a, reason};
    if (!rec_is(&c, root, JSON_OBJECT)) return fail(reason, "record is not a JSON object");
    return key_at(&c, json_get(doc, root, "key"), custom_id);
}

/* Read generationConfig (the member, or -1) into the item's parameters. */
static int read_generation_config(const record_ctx *c, int config, bt_item *item) {
    if (rec_int(c, rec_get(c, config, "maxOutputTokens", "max_output_tokens"),
                "generationConfig.maxOutputTokens", &item->max_tokens) < 0 ||
        rec_int(c, rec_get(c, config, "topK", "top_k"), "generationConfig.topK",
                &item->top_k) < 0 ||
        rec_int(c, rec_get(c, config, "candidateCount", "candidate_count"),
                "generationConfig.candidateCount", &item->choice_count) < 0 ||
        rec_int(c, json_get(c->doc, config, "seed"), "generationConfig.seed", &item->seed) < 0)
        return -1;
    rec_double(c, json_get(c->doc, config, "temperature"), &item->temperature);
    rec_double(c, rec_get(c, config, "topP", "top_p"), &item->top_p);
    rec_double(c, rec_get(c, config, "presencePenalty", "presence_penalty"),
               &item->presence_penalty);
    rec_double(c, rec_get(c, config, "frequencyPenalty", "frequency_penalty"),
               &item->frequency_penalty);
    rec_strings(c, rec_get(c, config, "stopSequences", "stop_sequences"), &item->stop_sequences,
                &item->stop_sequence_count);
    return 0;
}

/* Read tools[]: each functionDeclarations[] entry is a function; any other tool
 * (googleSearch, codeExecution, urlContext, ...) keeps its key as its type. */
static void read_tools(const record_ctx *c, int tools, bt_item *item) {
    size_t count = 0; /* room for one per member of each tool and one per function */
    for (int tool = json_first(c->doc, tools), i = 0; i < json_count(c->doc, tools);
         tool = json_next(c->doc, tool), i++) {
        int declarations =
            rec_get_typed(c, tool, "functionDeclarations", "function_declarations", JSON_ARRAY);
        count += (size_t)json_count(c->doc, tool) + (size_t)json_count(c->doc, declarations);
    }
    if (!count) return;
    item->tools = arena_calloc(c->arena, count, sizeof(tool_def));
    for (int tool = json_first(c->doc, tools), i = 0; i < json_count(c->doc, tools);
         tool = json_next(c->doc, tool), i++) {
        if (!rec_is(c, tool, JSON_OBJECT)) continue;
        for (int key = json_first(c->doc, tool), k = 0; k < json_count(c->doc, tool);
             key = json_next(c->doc, json_next(c->doc, key)), k++) {
            int value = json_next(c->doc, key);
            bool functions = json_string_eq(c->doc, key, "functionDeclarations") ||
                             json_string_eq(c->doc, key, "function_declarations");
            if (!functions) {
                item->tools[item->tool_count++].type = rec_str(c, key);
                continue;
            }
            for (int fn = json_first(c->doc, value), f = 0; f < json_count(c->doc, value);
                 fn = json_next(c->doc, fn), f++) {
                if (!rec_is(c, fn, JSON_OBJECT)) continue;
                tool_def *def = &item->tools[item->tool_count++];
                def->type = STR_LIT("function");
                def->name = rec_str_field(c, fn, "name", NULL);
                def->description = rec_str_field(c, fn, "description", NULL);
                def->parameters =
                    rec_raw(c, rec_get(c, fn, "parameters", "parametersJsonSchema"));
            }
        }
    }
}

/* Read an EmbedContentRequest {content, outputDimensionality}: one user message. */
static void read_embed_request(const record_ctx *c, int content, bt_item *item) {
    item->endpoint = STR_LIT(GEMINI_EMBED_ENDPOINT);
    item->operation = "embeddings";
    item->input_messages = arena_calloc(c->arena, 1, sizeof(msg));
    item->input_messages[0] = content_message(c, content, STR_LIT("user"));
    item->input_message_count = 1;
}

/* See gemini.h: the request side of item from a GenerateContentRequest (or an
 * EmbedContentRequest). */
int gemini_read_request(const record_ctx *c, int request, bt_item *item) {
    if (!rec_present(c, request)) return fail(c->reason, "missing \"request\"");
    if (!rec_is(c, request, JSON_OBJECT)) return fail(c->reason, "\"request\" is not an object");
    item->has_request = true;
    item->request_body = rec_raw(c, request);
    bt_str model = rec_str_field(c, request, "model", NULL);
    if (model.len > 7 && memcmp(model.ptr, "models/", 7) == 0) model.ptr += 7, model.len -= 7;
    item->request_model = model;
    int single = json_get(c->doc, request, "content");
    if (rec_is(c, single, JSON_OBJECT)) {
        read_embed_request(c, single, item);
        return 0;
    }
    item->endpoint = STR_LIT(GEMINI_ENDPOINT);
    item->operation = "chat";
    int contents = rec_get_typed(c, request, "contents", NULL, JSON_ARRAY);
    int count = json_count(c->doc, contents);
    if (count > 0) {
        item->input_messages = arena_calloc(c->arena, (size_t)count, sizeof(msg));
        for (int content = json_first(c->doc, contents), i = 0; i < count;
             content = json_next(c->doc, content), i++)
            if (rec_is(c, content, JSON_OBJECT))
                item->input_messages[item->input_message_count++] =
                    content_message(c, content, STR_LIT("user"));
    }
    int system = rec_get_typed(c, request, "systemInstruction", "system_instruction",
                               JSON_OBJECT);
    if (system >= 0) {
        msg instructions = content_message(c, system, STR_NULL);
        item->system_instructions = instructions.parts;
        item->system_instruction_count = instructions.part_count;
    }
    read_tools(c, rec_get_typed(c, request, "tools", NULL, JSON_ARRAY), item);
    int tool_config = rec_get_typed(c, request, "toolConfig", "tool_config", JSON_OBJECT);
    int calling = rec_get_typed(c, tool_config, "functionCallingConfig",
                                "function_calling_config", JSON_OBJECT);
    if (calling >= 0) {
        item->tool_choice = rec_raw(c, calling);
        item->tool_choice_is_json = true;
    }
    return read_generation_config(
        c, rec_get_typed(c, request, "generationConfig", "generation_config", JSON_OBJECT),
        item);
}

/* provider_ops.parse_request: the request side of item from {key, request}. */
static int gemini_parse_request(const json_doc *doc, int root, arena_t *a, bt_item *item,
                                char *reason) {
    record_ctx c = {doc, a, reason};
    if (!rec_is(&c, root, JSON_OBJECT)) return fail(reason, "record is not a JSON object");
    if (key_at(&c, json_get(doc, root, "key"), &item->custom_id) < 0) return -1;
    return gemini_read_request(&c, json_get(doc, root, "request"), item);
}

/* ---- results ---- */

/* Read usageMetadata (the member, or -1) into the item's tokens. */
static int read_usage(const record_ctx *c, int usage, bt_item *item) {
    opt_i64 candidates = {false, 0};
    if (rec_int(c, rec_get(c, usage, "promptTokenCount", "prompt_token_count"),
                "usageMetadata.promptTokenCount", &item->input_tokens) < 0 ||
        rec_int(c, rec_get(c, usage, "candidatesTokenCount", "candidates_token_count"),
                "usageMetadata.candidatesTokenCount", &candidates) < 0 ||
        rec_int(c, rec_get(c, usage, "cachedContentTokenCount", "cached_content_token_count"),
                "usageMetadata.cachedContentTokenCount", &item->cache_read_tokens) < 0 ||
        rec_int(c, rec_get(c, usage, "thoughtsTokenCount", "thoughts_token_count"),
                "usageMetadata.thoughtsTokenCount", &item->reasoning_tokens) < 0)
        return -1;
    if (candidates.has || item->reasoning_tokens.has) {
        if (!opt_add(&item->output_tokens, candidates) ||
            !opt_add(&item->output_tokens, item->reasoning_tokens))
            return fail(c->reason, "\"usageMetadata\": output token sum overflows int64");
    }
    return 0;
}

/* Read candidates[]: one output message per candidate with its finishReason. */
static void read_candidates(const record_ctx *c, int candidates, bt_item *item) {
    int count = json_count(c->doc, candidates);
    if (count <= 0) return;
    item->output_messages = arena_calloc(c->arena, (size_t)count, sizeof(msg));
    item->finish_reasons = arena_calloc(c->arena, (size_t)count, sizeof(bt_str));
    for (int candidate = json_first(c->doc, candidates), i = 0; i < count;
         candidate = json_next(c->doc, candidate), i++) {
        if (!rec_is(c, candidate, JSON_OBJECT)) continue;
        msg out = content_message(c, json_get(c->doc, candidate, "content"),
                                  STR_LIT("assistant"));
        out.finish_reason = rec_str_field(c, candidate, "finishReason", "finish_reason");
        if (out.finish_reason.len)
            item->finish_reasons[item->finish_reason_count++] = out.finish_reason;
        item->output_messages[item->output_message_count++] = out;
    }
}

/* See gemini.h: the response side from a GenerateContentResponse (or EmbedContentResponse). A
 * prompt blocked before any candidate (promptFeedback.blockReason, no candidates) is an
 * error whose type is the block reason. */
int gemini_read_response(const record_ctx *c, int response, bt_item *item) {
    item->result = RESULT_SUCCEEDED;
    item->response_body = rec_raw(c, response);
    item->response_id = rec_str_field(c, response, "responseId", "response_id");
    item->response_model = rec_str_field(c, response, "modelVersion", "model_version");
    if (rec_time(c, rec_get(c, response, "createTime", "create_time"), "response.createTime",
                 &item->end_time_ns) < 0 ||
        read_usage(c, rec_get_typed(c, response, "usageMetadata", "usage_metadata", JSON_OBJECT),
                   item) < 0)
        return -1;
    if (rec_is(c, json_get(c->doc, response, "embedding"), JSON_OBJECT)) {
        item->endpoint = STR_LIT(GEMINI_EMBED_ENDPOINT);
        item->operation = "embeddings";
        return 0;
    }
    if (!item->endpoint.len) {
        item->endpoint = STR_LIT(GEMINI_ENDPOINT);
        item->operation = "chat";
    }
    int candidates = rec_get_typed(c, response, "candidates", NULL, JSON_ARRAY);
    read_candidates(c, candidates, item);
    int feedback = rec_get_typed(c, response, "promptFeedback", "prompt_feedback", JSON_OBJECT);
    bt_str blocked = rec_str_field(c, feedback, "blockReason", "block_reason");
    if (json_count(c->doc, candidates) <= 0 && blocked.len) {
        item->result = RESULT_ERRORED;
        item->error_type = blocked;
        item->error_message = rec_str_field(c, feedback, "blockReasonMessage",
                                            "block_reason_message");
        if (!item->error_message.len) item->error_message = STR_LIT("prompt blocked");
    }
    return 0;
}

/* See gemini.h: an errored item from a google.rpc.Status {code, message, status}: error.type is
 * the status name ("RESOURCE_EXHAUSTED"), else the code. */
int gemini_read_status(const record_ctx *c, int error, bt_item *item) {
    opt_i64 code = {false, 0};
    if (rec_int(c, json_get(c->doc, error, "code"), "error.code", &code) < 0) return -1;
    item->result = RESULT_ERRORED;
    item->http_status = code.has ? code.value : 0;
    item->error_type = rec_str_field(c, error, "status", NULL);
    if (!item->error_type.len && code.has)
        item->error_type = rec_raw(c, json_get(c->doc, error, "code"));
    if (!item->error_type.len) item->error_type = STR_LIT("error");
    item->error_message = rec_str_field(c, error, "message", NULL);
    item->response_body = rec_raw(c, error);
    return 0;
}

/* provider_ops.parse_result: {key, response} or {key, error}. */
static int gemini_parse_result(const json_doc *doc, int root, arena_t *a, bt_item *item,
                               char *reason) {
    record_ctx c = {doc, a, reason};
    if (!rec_is(&c, root, JSON_OBJECT)) return fail(reason, "record is not a JSON object");
    if (key_at(&c, json_get(doc, root, "key"), &item->custom_id) < 0) return -1;
    item->has_response = true;
    int response = json_get(doc, root, "response");
    int error = json_get(doc, root, "error");
    if (rec_present(&c, error)) {
        if (!rec_is(&c, error, JSON_OBJECT)) return fail(reason, "\"error\" is not an object");
        if (!item->endpoint.len) item->endpoint = STR_LIT(GEMINI_ENDPOINT);
        if (!item->operation) item->operation = "chat";
        return gemini_read_status(&c, error, item);
    }
    if (!rec_present(&c, response))
        return fail(reason, "neither \"response\" nor \"error\" is set");
    if (!rec_is(&c, response, JSON_OBJECT))
        return fail(reason, "\"response\" is not an object");
    return gemini_read_response(&c, response, item);
}

/* ---- the batch ---- */

/* Whether s starts with prefix. */
static bool has_prefix(bt_str s, const char *prefix) {
    size_t len = strlen(prefix);
    return s.len >= len && memcmp(s.ptr, prefix, len) == 0;
}

/* See gemini.h: map a batch state to a batch_state: the API's BATCH_STATE_* and the SDKs'
 * JOB_STATE_*. -1 for an unknown state. */
int gemini_classify_state(bt_str state, batch_state *out) {
    static const struct { const char *suffix; batch_state state; } states[] = {
        {"PENDING", BATCH_RUNNING},     {"QUEUED", BATCH_RUNNING},
        {"RUNNING", BATCH_RUNNING},     {"CANCELLING", BATCH_RUNNING},
        {"PAUSED", BATCH_RUNNING},      {"UPDATING", BATCH_RUNNING},
        {"SUCCEEDED", BATCH_COMPLETED}, {"PARTIALLY_SUCCEEDED", BATCH_COMPLETED},
        {"FAILED", BATCH_FAILED},       {"CANCELLED", BATCH_CANCELLED},
        {"EXPIRED", BATCH_EXPIRED},
    };
    bt_str suffix = state;
    if (has_prefix(state, "BATCH_STATE_")) suffix.ptr += 12, suffix.len -= 12;
    else if (has_prefix(state, "JOB_STATE_")) suffix.ptr += 10, suffix.len -= 10;
    else return -1;
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
        if (str_eq_c(suffix, states[i].suffix)) {
            *out = states[i].state;
            return 0;
        }
    }
    return -1;
}

/* The batch resource of a batch document: the Operation's metadata when it is one, else
 * the document itself. */
static int batch_resource(const record_ctx *c, int root) {
    int metadata = rec_get_typed(c, root, "metadata", NULL, JSON_OBJECT);
    return metadata >= 0 && rec_present(c, json_get(c->doc, metadata, "state")) ? metadata : root;
}

/* provider_ops.parse_batch: a GenerateContentBatch {name, state, createTime, endTime,
 * batchStats{requestCount, successfulRequestCount, failedRequestCount,
 * pendingRequestCount}, output{responsesFile}}, or the Operation {name, metadata, done,
 * error, response} holding one. */
static int gemini_parse_batch(const json_doc *doc, int root, arena_t *a, batch_info *batch,
                              char *reason) {
    record_ctx c = {doc, a, reason};
    if (!rec_is(&c, root, JSON_OBJECT)) return fail(reason, "record is not a JSON object");
    int resource = batch_resource(&c, root);
    batch->id = rec_str_field(&c, resource, "name", NULL);
    if (!batch->id.len) batch->id = rec_str_field(&c, root, "name", NULL);
    if (!batch->id.len) return fail(reason, "missing \"name\"");
    batch->status = rec_str_field(&c, resource, "state", NULL);
    if (!batch->status.len) return fail(reason, "missing \"state\"");
    if (gemini_classify_state(batch->status, &batch->state) < 0) {
        int quoted = batch->status.len > 40 ? 40 : (int)batch->status.len;
        return fail(reason, "unknown batch state \"%.*s\"", quoted, batch->status.ptr);
    }
    batch->endpoint = STR_LIT("batchGenerateContent");
    if (rec_time(&c, rec_get(&c, resource, "createTime", "create_time"), "createTime",
                 &batch->created_ns) < 0)
        return -1;
    if (batch->state != BATCH_RUNNING &&
        rec_time(&c, rec_get(&c, resource, "endTime", "end_time"), "endTime",
                 &batch->terminal_ns) < 0)
        return -1;
    int stats = rec_get_typed(&c, resource, "batchStats", "batch_stats", JSON_OBJECT);
    opt_i64 pending = {false, 0};
    if (rec_int(&c, rec_get(&c, stats, "requestCount", "request_count"),
                "batchStats.requestCount", &batch->count_total) < 0 ||
        rec_int(&c, rec_get(&c, stats, "successfulRequestCount", "successful_request_count"),
                "batchStats.successfulRequestCount", &batch->count_succeeded) < 0 ||
        rec_int(&c, rec_get(&c, stats, "failedRequestCount", "failed_request_count"),
                "batchStats.failedRequestCount", &batch->count_errored) < 0 ||
        rec_int(&c, rec_get(&c, stats, "pendingRequestCount", "pending_request_count"),
                "batchStats.pendingRequestCount", &pending) < 0)
        return -1;
    batch->count_processing = pending;
    /* The responses file holds a line for every request that succeeded or failed. */
    if (batch->count_succeeded.has && batch->count_errored.has) {
        batch->count_with_line = batch->count_succeeded;
        if (!opt_add(&batch->count_with_line, batch->count_errored))
            return fail(reason, "\"batchStats\": request counts overflow int64");
    }
    int output = rec_get_typed(&c, resource, "output", "dest", JSON_OBJECT);
    if (output < 0) output = rec_get_typed(&c, root, "response", NULL, JSON_OBJECT);
    batch->output_file_id = rec_str_field(&c, output, "responsesFile", "responses_file");
    if (!batch->output_file_id.len)
        batch->output_file_id = rec_str_field(&c, output, "fileName", "file_name");
    int input = rec_get_typed(&c, resource, "inputConfig", "src", JSON_OBJECT);
    batch->input_file_id = rec_str_field(&c, input, "fileName", "file_name");
    int error = rec_get_typed(&c, root, "error", NULL, JSON_OBJECT);
    if (error >= 0) {
        batch->errors = arena_calloc(a, 1, sizeof *batch->errors);
        batch->errors[0].code = rec_str_field(&c, error, "status", NULL);
        if (!batch->errors[0].code.len)
            batch->errors[0].code = rec_raw(&c, json_get(doc, error, "code"));
        batch->errors[0].message = rec_str_field(&c, error, "message", NULL);
        batch->error_count = 1;
    }
    return 0;
}

/* ---- inlined requests and responses ---- */

/* The array of an inlined list: the member key or alt of obj, an array itself or REST's
 * wrapper object holding it under inner ({"inlinedResponses": {"inlinedResponses": [...]}},
 * {"requests": {"requests": [...]}}); -1 when absent. */
static int inlined_list(const record_ctx *c, int obj, const char *key, const char *alt,
                        const char *inner) {
    int list = rec_get(c, obj, key, alt);
    if (rec_is(c, list, JSON_OBJECT)) list = json_get(c->doc, list, inner);
    return rec_is(c, list, JSON_ARRAY) ? list : -1;
}

/* The metadata.key of an inlined request or response, or empty. */
static bt_str metadata_key(const record_ctx *c, int element) {
    return rec_str_field(c, rec_get_typed(c, element, "metadata", NULL, JSON_OBJECT), "key",
                         NULL);
}

/* Append one line {"key": key, "name": value} to out; value's raw text is written on one
 * line (a newline outside a JSON string is whitespace: inside one it is escaped). */
static void append_line(const record_ctx *c, buf_t *out, bt_str key, const char *name,
                        int value) {
    jw_t w;
    jw_init(&w, out);
    jw_object_open(&w);
    jw_key(&w, "key");
    jw_string(&w, key);
    jw_key(&w, name);
    size_t start = out->len;
    jw_raw(&w, rec_raw(c, value));
    for (size_t i = start; i < out->len; i++)
        if (out->data[i] == '\n' || out->data[i] == '\r') out->data[i] = ' ';
    jw_object_close(&w);
    buf_putc(out, '\n');
}

/* The key of the index-th inlined record (0-based): its metadata.key, else the metadata.key
 * of the request at that position (request: -1 when none; responses come in the requests'
 * order and the API does not always echo metadata), else the position from 1 as a decimal
 * string (position: 24 bytes). */
static bt_str inlined_key(const record_ctx *c, int element, int request, int index,
                          char *position) {
    bt_str key = metadata_key(c, element);
    if (!key.len && request >= 0) key = metadata_key(c, request);
    if (key.len) return key;
    snprintf(position, 24, "%d", index + 1);
    return str_c(position);
}

/* provider_ops.batch_records: the inlined requests (REST inputConfig.requests.requests[]
 * {request, metadata}; the SDKs' src.inlined_requests[] {contents, config, metadata}) as
 * {key, request} lines, and the inlined responses (the batch's output.inlinedResponses
 * .inlinedResponses[], the Operation's response.inlinedResponses.inlinedResponses[], the
 * SDKs' dest.inlined_responses[]: {response} or {error}, with metadata) as {key, response}
 * or {key, error} lines. */
static int gemini_batch_records(const json_doc *doc, int root, arena_t *a, buf_t *requests,
                                buf_t *results, char *reason) {
    record_ctx c = {doc, a, reason};
    char position[24];
    if (!rec_is(&c, root, JSON_OBJECT)) return fail(reason, "record is not a JSON object");
    int resource = batch_resource(&c, root);
    int input = rec_get_typed(&c, resource, "inputConfig", "src", JSON_OBJECT);
    int request_list = inlined_list(&c, input, "requests", "inlined_requests", "requests");
    if (request_list < 0)
        request_list = inlined_list(&c, input, "inlinedRequests", NULL, "requests");
    int output = rec_get_typed(&c, resource, "output", "dest", JSON_OBJECT);
    int response_list =
        inlined_list(&c, output, "inlinedResponses", "inlined_responses", "inlinedResponses");
    if (response_list < 0)
        response_list = inlined_list(&c, rec_get_typed(&c, root, "response", NULL, JSON_OBJECT),
                                     "inlinedResponses", "inlined_responses", "inlinedResponses");
    int index = 0;
    for (int e = json_first(doc, request_list); index < json_count(doc, request_list);
         e = json_next(doc, e), index++) {
        int request = rec_get_typed(&c, e, "request", NULL, JSON_OBJECT);
        bt_str key = inlined_key(&c, e, -1, index, position);
        append_line(&c, requests, key, "request", request >= 0 ? request : e);
    }
    index = 0;
    int request_count = json_count(doc, request_list);
    for (int e = json_first(doc, response_list), request = json_first(doc, request_list);
         index < json_count(doc, response_list); e = json_next(doc, e), index++) {
        int error = json_get(doc, e, "error");
        bool errored = rec_present(&c, error);
        bt_str key = inlined_key(&c, e, index < request_count ? request : -1, index, position);
        if (index < request_count) request = json_next(doc, request);
        append_line(&c, results, key, errored ? "error" : "response",
                    errored ? error : json_get(doc, e, "response"));
    }
    return 0;
}

/* ---- recognising records ---- */

/* provider_ops.is_request: {key, request:{...}}. */
static bool gemini_is_request(const json_doc *doc, int root) {
    return json_get(doc, root, "key") >= 0 &&
           json_type_of(doc, json_get(doc, root, "request")) == JSON_OBJECT;
}

/* provider_ops.is_result: {key, response} or {key, error}. */
static bool gemini_is_result(const json_doc *doc, int root) {
    return json_get(doc, root, "key") >= 0 &&
           (json_get(doc, root, "response") >= 0 || json_get(doc, root, "error") >= 0);
}

/* provider_ops.is_batch: a batch named "batches/..." (alone, or as an Operation). */
static bool gemini_is_batch(const json_doc *doc, int root) {
    record_ctx c = {doc, NULL, NULL};
    int resource = batch_resource(&c, root);
    return rec_starts_with(&c, json_get(doc, root, "name"), "batches/") &&
           rec_is(&c, json_get(doc, resource, "state"), JSON_STRING);
}

const provider_ops provider_gemini = {
    .name = "gcp.gemini",
    .alias = "gemini",
    .format = "gcp.gemini",
    .is_request = gemini_is_request,
    .is_result = gemini_is_result,
    .is_batch = gemini_is_batch,
    .request_custom_id = gemini_request_custom_id,
    .parse_request = gemini_parse_request,
    .parse_result = gemini_parse_result,
    .parse_batch = gemini_parse_batch,
    .batch_records = gemini_batch_records,
};
