/* Amazon Bedrock batch inference (provider aws.bedrock): input lines {recordId,
 * modelInput}, output lines (.jsonl.out) {recordId, modelInput, modelOutput} or {recordId,
 * modelInput, error:{errorCode, errorMessage}}, and the batch: the job
 * (GetModelInvocationJob: jobArn, status, submitTime, endTime, modelId) or the
 * manifest.json.out summary (record and token counts), into normalized items.
 *
 * The record carries no model id, so the body's shape tells the model family:
 *   Anthropic Claude  {anthropic_version, messages}  -> a Message (anthropic.h)
 *   Converse / Nova   {messages, inferenceConfig}    -> {output:{message}, stopReason, usage}
 *   Meta Llama, Mistral  {prompt, max_gen_len|max_tokens} -> {generation, ...} | {outputs}
 *   Titan text        {inputText, textGenerationConfig} -> {results[{outputText}]}
 *   Titan embeddings  {inputText} (or texts)         -> {embedding, inputTextTokenCount}
 * The recordId is the custom_id; an output line echoes its modelInput, so a result alone
 * gives the request side too. */
#include <stdio.h>
#include <string.h>

#include "providers/anthropic.h"
#include "providers/provider.h"
#include "providers/record.h"

#define BEDROCK_ENDPOINT "InvokeModel"

/* The model families whose bodies a Bedrock record can hold. */
typedef enum body_family {
    FAMILY_CLAUDE,      /* Anthropic Messages */
    FAMILY_CONVERSE,    /* Converse API bodies and Amazon Nova (messages-v1) */
    FAMILY_PROMPT,      /* Meta Llama and Mistral: a prompt string */
    FAMILY_TITAN_TEXT,  /* Titan text: inputText with textGenerationConfig */
    FAMILY_EMBEDDING,   /* Titan (and Cohere) embeddings */
} body_family;

/* The family of a modelInput body. */
static body_family family_of(const record_ctx *c, int input) {
    if (json_get(c->doc, input, "anthropic_version") >= 0) return FAMILY_CLAUDE;
    if (rec_is(c, json_get(c->doc, input, "messages"), JSON_ARRAY)) {
        /* Converse content is a list of {text}; Claude's may be a plain string. */
        return json_get(c->doc, input, "max_tokens") >= 0 &&
                       json_get(c->doc, input, "inferenceConfig") < 0
                   ? FAMILY_CLAUDE
                   : FAMILY_CONVERSE;
    }
    if (rec_is(c, json_get(c->doc, input, "prompt"), JSON_STRING)) return FAMILY_PROMPT;
    if (rec_is(c, json_get(c->doc, input, "textGenerationConfig"), JSON_OBJECT))
        return FAMILY_TITAN_TEXT;
    return FAMILY_EMBEDDING;
}

/* ---- Converse / Nova ---- */

/* Append one Converse content block: text, image / document / video (bytes -> blob,
 * s3Location -> uri), toolUse, toolResult, reasoningContent. Others are skipped. */
static void add_block(const record_ctx *c, msg_builder *b, int block) {
    static const char *const media[] = {"image", "document", "video"};
    int text = json_get(c->doc, block, "text");
    if (rec_is(c, text, JSON_STRING)) {
        msg_builder_string(c, b, PART_TEXT, text);
        return;
    }
    for (size_t i = 0; i < sizeof media / sizeof media[0]; i++) {
        int object = rec_get_typed(c, block, media[i], NULL, JSON_OBJECT);
        if (object < 0) continue;
        int source = rec_get_typed(c, object, "source", NULL, JSON_OBJECT);
        int location = rec_get_typed(c, source, "s3Location", NULL, JSON_OBJECT);
        msg_part *part = msg_builder_add(c, b, location >= 0 ? PART_URI : PART_BLOB);
        part->modality = str_c(i == 1 ? "file" : media[i]);
        part->mime_type = rec_str_field(c, object, "format", NULL); /* "png", "pdf" */
        if (location >= 0) part->uri = rec_str_field(c, location, "uri", NULL);
        else part->content = rec_str_field(c, source, "bytes", NULL);
        return;
    }
    int use = rec_get_typed(c, block, "toolUse", NULL, JSON_OBJECT);
    int result = rec_get_typed(c, block, "toolResult", NULL, JSON_OBJECT);
    int reasoning = rec_get_typed(c, block, "reasoningContent", NULL, JSON_OBJECT);
    if (use >= 0) {
        msg_part *part = msg_builder_add(c, b, PART_TOOL_CALL);
        part->id = rec_str_field(c, use, "toolUseId", NULL);
        part->name = rec_str_field(c, use, "name", NULL);
        part->arguments = rec_raw(c, json_get(c->doc, use, "input"));
        part->arguments_is_json = part->arguments.len > 0;
    } else if (result >= 0) {
        msg_part *part = msg_builder_add(c, b, PART_TOOL_CALL_RESPONSE);
        part->id = rec_str_field(c, result, "toolUseId", NULL);
        part->content = rec_raw(c, json_get(c->doc, result, "content"));
        part->content_is_json = part->content.len > 0;
    } else if (reasoning >= 0) {
        int text_block = rec_get_typed(c, reasoning, "reasoningText", NULL, JSON_OBJECT);
        msg_part *part = msg_builder_add(c, b, PART_REASONING);
        part->content = rec_str_field(c, text_block, "text", NULL);
        part->redacted = text_block < 0 && json_get(c->doc, reasoning, "redactedContent") >= 0;
    }
}

/* One Converse message {role, content[]}; fallback when it has no role. A user message of
 * tool results only speaks as "tool". */
static msg converse_message(const record_ctx *c, int message, bt_str fallback) {
    int content = rec_get_typed(c, message, "content", NULL, JSON_ARRAY);
    bt_str role = rec_str_field(c, message, "role", NULL);
    msg_builder b;
    msg_builder_init(c, &b, role.len ? role : fallback, (size_t)json_count(c->doc, content));
    for (int block = json_first(c->doc, content), i = 0; i < json_count(c->doc, content);
         block = json_next(c->doc, block), i++)
        if (rec_is(c, block, JSON_OBJECT)) add_block(c, &b, block);
    bool only_tool_results = b.m.part_count > 0;
    for (size_t i = 0; i < b.m.part_count; i++)
        if (b.m.parts[i].type != PART_TOOL_CALL_RESPONSE) only_tool_results = false;
    if (only_tool_results) b.m.role = STR_LIT("tool");
    return b.m;
}

/* The request side of a Converse / Nova body: messages, system, inferenceConfig (Converse
 * camelCase or Nova's snake_case), toolConfig. */
static int read_converse_request(const record_ctx *c, int input, bt_item *item) {
    int messages = rec_get_typed(c, input, "messages", NULL, JSON_ARRAY);
    int count = json_count(c->doc, messages);
    item->input_messages = count > 0 ? arena_calloc(c->arena, (size_t)count, sizeof(msg)) : NULL;
    item->input_message_count = 0;
    for (int message = json_first(c->doc, messages), i = 0; i < count;
         message = json_next(c->doc, message), i++)
        if (rec_is(c, message, JSON_OBJECT))
            item->input_messages[item->input_message_count++] =
                converse_message(c, message, STR_LIT("user"));
    int system = rec_get_typed(c, input, "system", NULL, JSON_ARRAY);
    if (system >= 0) {
        msg_builder b;
        msg_builder_init(c, &b, STR_NULL, (size_t)json_count(c->doc, system));
        for (int block = json_first(c->doc, system), i = 0; i < json_count(c->doc, system);
             block = json_next(c->doc, block), i++)
            if (rec_is(c, block, JSON_OBJECT)) add_block(c, &b, block);
        item->system_instructions = b.m.parts;
        item->system_instruction_count = b.m.part_count;
    }
    int config = rec_get_typed(c, input, "inferenceConfig", "inference_config", JSON_OBJECT);
    if (rec_int(c, rec_get(c, config, "maxTokens", "max_new_tokens"), "inferenceConfig.maxTokens",
                &item->max_tokens) < 0 ||
        rec_int(c, rec_get(c, config, "topK", "top_k"), "inferenceConfig.topK", &item->top_k) < 0)
        return -1;
    rec_double(c, json_get(c->doc, config, "temperature"), &item->temperature);
    rec_double(c, rec_get(c, config, "topP", "top_p"), &item->top_p);
    rec_strings(c, rec_get(c, config, "stopSequences", "stop_sequences"), &item->stop_sequences,
                &item->stop_sequence_count);
    int tool_config = rec_get_typed(c, input, "toolConfig", NULL, JSON_OBJECT);
    int tools = rec_get_typed(c, tool_config, "tools", NULL, JSON_ARRAY);
    int tool_count = json_count(c->doc, tools);
    if (tool_count > 0) {
        item->tools = arena_calloc(c->arena, (size_t)tool_count, sizeof(tool_def));
        item->tool_count = 0;
        for (int tool = json_first(c->doc, tools), i = 0; i < tool_count;
             tool = json_next(c->doc, tool), i++) {
            int spec = rec_get_typed(c, tool, "toolSpec", NULL, JSON_OBJECT);
            if (spec < 0) continue;
            tool_def *def = &item->tools[item->tool_count++];
            def->type = STR_LIT("function");
            def->name = rec_str_field(c, spec, "name", NULL);
            def->description = rec_str_field(c, spec, "description", NULL);
            int schema = rec_get_typed(c, spec, "inputSchema", NULL, JSON_OBJECT);
            def->parameters = rec_raw(c, json_get(c->doc, schema, "json"));
        }
    }
    int choice = rec_get_typed(c, tool_config, "toolChoice", NULL, JSON_OBJECT);
    if (choice >= 0) {
        item->tool_choice = rec_raw(c, choice);
        item->tool_choice_is_json = true;
    }
    return 0;
}

/* The response side of a Converse / Nova output: output.message, stopReason, usage (input
 * includes the cache reads and writes, as SPEC section 5 counts them). */
static int read_converse_output(const record_ctx *c, int output, bt_item *item) {
    int inner = rec_get_typed(c, output, "output", NULL, JSON_OBJECT);
    int message = rec_get_typed(c, inner, "message", NULL, JSON_OBJECT);
    msg out = converse_message(c, message, STR_LIT("assistant"));
    out.finish_reason = rec_str_field(c, output, "stopReason", "stop_reason");
    item_set_output(c, item, out);
    int usage = rec_get_typed(c, output, "usage", NULL, JSON_OBJECT);
    opt_i64 input = {false, 0};
    if (rec_int(c, json_get(c->doc, usage, "inputTokens"), "usage.inputTokens", &input) < 0 ||
        rec_int(c, json_get(c->doc, usage, "outputTokens"), "usage.outputTokens",
                &item->output_tokens) < 0 ||
        rec_int(c, rec_get(c, usage, "cacheReadInputTokenCount", "cacheReadInputTokens"),
                "usage.cacheReadInputTokenCount", &item->cache_read_tokens) < 0 ||
        rec_int(c, rec_get(c, usage, "cacheWriteInputTokenCount", "cacheWriteInputTokens"),
                "usage.cacheWriteInputTokenCount", &item->cache_creation_tokens) < 0)
        return -1;
    if (input.has) {
        item->input_tokens = input;
        if (!opt_add(&item->input_tokens, item->cache_read_tokens) ||
            !opt_add(&item->input_tokens, item->cache_creation_tokens))
            return fail(c->reason, "\"usage\": input token sum overflows int64");
    }
    return 0;
}

/* ---- prompt bodies: Llama, Mistral, Titan text ---- */

/* One user message holding text. */
static void set_prompt(const record_ctx *c, bt_item *item, bt_str text) {
    msg_builder b;
    msg_builder_init(c, &b, STR_LIT("user"), 1);
    msg_builder_text(c, &b, PART_TEXT, text);
    item->input_messages = arena_calloc(c->arena, 1, sizeof(msg));
    item->input_messages[0] = b.m;
    item->input_message_count = 1;
}

/* The request side of a Llama / Mistral {prompt, max_gen_len | max_tokens, temperature,
 * top_p, top_k, stop} or Titan text {inputText, textGenerationConfig} body. */
static int read_prompt_request(const record_ctx *c, int input, body_family family,
                               bt_item *item) {
    int config = family == FAMILY_TITAN_TEXT
                     ? rec_get_typed(c, input, "textGenerationConfig", NULL, JSON_OBJECT)
                     : input;
    set_prompt(c, item, rec_str_field(c, input, family == FAMILY_TITAN_TEXT ? "inputText"
                                                                           : "prompt", NULL));
    const char *max_key = family == FAMILY_TITAN_TEXT ? "maxTokenCount" : "max_gen_len";
    if (rec_int(c, rec_get(c, config, max_key, "max_tokens"), max_key, &item->max_tokens) < 0 ||
        rec_int(c, json_get(c->doc, config, "top_k"), "top_k", &item->top_k) < 0)
        return -1;
    rec_double(c, json_get(c->doc, config, "temperature"), &item->temperature);
    rec_double(c, rec_get(c, config, "top_p", "topP"), &item->top_p);
    rec_strings(c, rec_get(c, config, "stop", "stopSequences"), &item->stop_sequences,
                &item->stop_sequence_count);
    return 0;
}

/* The response side of a prompt body's output: Llama {generation, prompt_token_count,
 * generation_token_count, stop_reason}, Mistral {outputs[{text, stop_reason}]}, Titan text
 * {inputTextTokenCount, results[{tokenCount, outputText, completionReason}]}. */
static int read_prompt_output(const record_ctx *c, int output, bt_item *item) {
    msg_builder b;
    msg_builder_init(c, &b, STR_LIT("assistant"), 1);
    int generation = json_get(c->doc, output, "generation");
    int listed = rec_get_typed(c, output, "results", "outputs", JSON_ARRAY);
    int first = json_first(c->doc, listed);
    if (rec_is(c, generation, JSON_STRING)) {
        msg_builder_string(c, &b, PART_TEXT, generation);
        b.m.finish_reason = rec_str_field(c, output, "stop_reason", NULL);
        if (rec_int(c, json_get(c->doc, output, "prompt_token_count"), "prompt_token_count",
                    &item->input_tokens) < 0 ||
            rec_int(c, json_get(c->doc, output, "generation_token_count"),
                    "generation_token_count", &item->output_tokens) < 0)
            return -1;
    } else if (first >= 0) {
        msg_builder_string(c, &b, PART_TEXT, rec_get(c, first, "outputText", "text"));
        b.m.finish_reason = rec_str_field(c, first, "completionReason", "stop_reason");
        if (rec_int(c, json_get(c->doc, output, "inputTextTokenCount"), "inputTextTokenCount",
                    &item->input_tokens) < 0 ||
            rec_int(c, json_get(c->doc, first, "tokenCount"), "results[0].tokenCount",
                    &item->output_tokens) < 0)
            return -1;
    }
    item_set_output(c, item, b.m);
    return 0;
}

/* ---- requests ---- */

/* The required recordId of a record (its member, or -1). */
static int record_id_at(const record_ctx *c, int tok, bt_str *id) {
    if (!rec_present(c, tok)) return fail(c->reason, "missing \"recordId\"");
    if (!rec_is(c, tok, JSON_STRING)) return fail(c->reason, "\"recordId\" is not a string");
    *id = rec_str(c, tok);
    if (!id->len) return fail(c->reason, "\"recordId\" is empty");
    return 0;
}

/* provider_ops.request_custom_id: the recordId of an input line. */
static int bedrock_request_custom_id(const json_doc *doc, int root, arena_t *a,
                                     bt_str *custom_id, char *reason) {
    record_ctx c = {doc, a, reason};
    if (!rec_is(&c, root, JSON_OBJECT)) return fail(reason, "record is not a JSON object");
    return record_id_at(&c, json_get(doc, root, "recordId"), custom_id);
}

/* Fill the request side of item from a modelInput body (the token input). */
static int read_model_input(const record_ctx *c, int input, bt_item *item) {
    if (!rec_present(c, input)) return fail(c->reason, "missing \"modelInput\"");
    if (!rec_is(c, input, JSON_OBJECT)) return fail(c->reason, "\"modelInput\" is not an object");
    body_family family = family_of(c, input);
    int rc = 0;
    switch (family) {
    case FAMILY_CLAUDE: rc = anthropic_read_params(c->doc, input, c->arena, item, c->reason); break;
    case FAMILY_CONVERSE: rc = read_converse_request(c, input, item); break;
    case FAMILY_PROMPT:
    case FAMILY_TITAN_TEXT: rc = read_prompt_request(c, input, family, item); break;
    case FAMILY_EMBEDDING: {
        bt_str text = rec_str_field(c, input, "inputText", NULL);
        if (text.len) set_prompt(c, item, text);
        break;
    }
    }
    item->endpoint = STR_LIT(BEDROCK_ENDPOINT);
    item->operation = family == FAMILY_EMBEDDING                                  ? "embeddings"
                      : family == FAMILY_PROMPT || family == FAMILY_TITAN_TEXT ? "text_completion"
                                                                                  : "chat";
    item->request_body = rec_raw(c, input);
    item->has_request = true;
    return rc;
}

/* provider_ops.parse_request: the request side of item from {recordId, modelInput}. When
 * the result line's echoed modelInput has filled it already, the input line (the same
 * body, by Bedrock's contract) is only checked for its recordId. */
static int bedrock_parse_request(const json_doc *doc, int root, arena_t *a, bt_item *item,
                                 char *reason) {
    record_ctx c = {doc, a, reason};
    if (!rec_is(&c, root, JSON_OBJECT)) return fail(reason, "record is not a JSON object");
    if (record_id_at(&c, json_get(doc, root, "recordId"), &item->custom_id) < 0) return -1;
    if (item->has_request) return 0;
    return read_model_input(&c, json_get(doc, root, "modelInput"), item);
}

/* ---- results ---- */

/* Fill the response side of item from modelOutput, by the family of modelInput. */
static int read_model_output(const record_ctx *c, int input, int output, bt_item *item) {
    item->result = RESULT_SUCCEEDED;
    item->response_body = rec_raw(c, output);
    switch (rec_is(c, input, JSON_OBJECT) ? family_of(c, input) : FAMILY_CONVERSE) {
    case FAMILY_CLAUDE: {
        int rc = anthropic_read_message(c->doc, output, c->arena, item, c->reason);
        item->endpoint = STR_LIT(BEDROCK_ENDPOINT);
        return rc;
    }
    case FAMILY_CONVERSE: return read_converse_output(c, output, item);
    case FAMILY_PROMPT:
    case FAMILY_TITAN_TEXT: return read_prompt_output(c, output, item);
    case FAMILY_EMBEDDING:
        return rec_int(c, json_get(c->doc, output, "inputTextTokenCount"), "inputTextTokenCount",
                       &item->input_tokens);
    }
    return 0;
}

/* Fill an errored item from error {errorCode, errorMessage}: error.type is the code as
 * given (a number such as 400, or a name such as "ThrottlingException"). */
static int read_error(const record_ctx *c, int error, bt_item *item) {
    item->result = RESULT_ERRORED;
    int code = json_get(c->doc, error, "errorCode");
    opt_i64 status = {false, 0};
    if (rec_is(c, code, JSON_NUMBER)) {
        if (rec_int(c, code, "error.errorCode", &status) < 0) return -1;
        item->http_status = status.value;
        item->error_type = json_raw(c->doc, code);
    } else {
        item->error_type = rec_str(c, code);
    }
    if (!item->error_type.len) item->error_type = STR_LIT("error");
    item->error_message = rec_str_field(c, error, "errorMessage", "message");
    item->response_body = rec_raw(c, error);
    return 0;
}

/* provider_ops.parse_result: {recordId, modelInput, modelOutput} or {recordId, modelInput,
 * error}. The echoed modelInput fills the request side as well. */
static int bedrock_parse_result(const json_doc *doc, int root, arena_t *a, bt_item *item,
                                char *reason) {
    record_ctx c = {doc, a, reason};
    if (!rec_is(&c, root, JSON_OBJECT)) return fail(reason, "record is not a JSON object");
    if (record_id_at(&c, json_get(doc, root, "recordId"), &item->custom_id) < 0) return -1;
    int input = json_get(doc, root, "modelInput");
    int output = json_get(doc, root, "modelOutput");
    int error = json_get(doc, root, "error");
    if (rec_is(&c, input, JSON_OBJECT) && read_model_input(&c, input, item) < 0) return -1;
    if (!item->endpoint.len) item->endpoint = STR_LIT(BEDROCK_ENDPOINT);
    if (!item->operation) item->operation = "chat";
    item->has_response = true;
    if (rec_present(&c, error)) {
        if (!rec_is(&c, error, JSON_OBJECT)) return fail(reason, "\"error\" is not an object");
        return read_error(&c, error, item);
    }
    if (!rec_present(&c, output))
        return fail(reason, "neither \"modelOutput\" nor \"error\" is set");
    if (!rec_is(&c, output, JSON_OBJECT)) return fail(reason, "\"modelOutput\" is not an object");
    return read_model_output(&c, input, output, item);
}

/* ---- the batch ---- */

/* Map a job status to a batch_state; -1 for an unknown one. */
static int classify_status(bt_str status, batch_state *out) {
    static const struct { const char *status; batch_state state; } statuses[] = {
        {"Submitted", BATCH_RUNNING},  {"Validating", BATCH_RUNNING},
        {"Scheduled", BATCH_RUNNING},  {"InProgress", BATCH_RUNNING},
        {"Stopping", BATCH_RUNNING},   {"Completed", BATCH_COMPLETED},
        {"PartiallyCompleted", BATCH_COMPLETED}, {"Failed", BATCH_FAILED},
        {"Stopped", BATCH_CANCELLED},  {"Expired", BATCH_EXPIRED},
    };
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        if (str_eq_c(status, statuses[i].status)) {
            *out = statuses[i].state;
            return 0;
        }
    }
    return -1;
}

/* Read the job (GetModelInvocationJob) {jobArn, status, message, submitTime, endTime,
 * modelId, ...}. */
static int read_job(const record_ctx *c, int root, batch_info *batch) {
    batch->id = rec_str_field(c, root, "jobArn", NULL);
    batch->status = rec_str_field(c, root, "status", NULL);
    if (!batch->status.len) return fail(c->reason, "missing \"status\"");
    if (classify_status(batch->status, &batch->state) < 0) {
        int quoted = batch->status.len > 40 ? 40 : (int)batch->status.len;
        return fail(c->reason, "unknown job status \"%.*s\"", quoted, batch->status.ptr);
    }
    if (rec_time(c, json_get(c->doc, root, "submitTime"), "submitTime", &batch->created_ns) < 0)
        return -1;
    if (batch->state != BATCH_RUNNING &&
        rec_time(c, json_get(c->doc, root, "endTime"), "endTime", &batch->terminal_ns) < 0)
        return -1;
    batch->model = rec_str_field(c, root, "modelId", NULL);
    /* A stopped or expired job processed no more records: the job counts none, so every
     * record without a line in the results given ended with the job. */
    if (batch->state == BATCH_CANCELLED || batch->state == BATCH_EXPIRED)
        batch->count_with_line = (opt_i64){true, 0};
    bt_str message = rec_str_field(c, root, "message", NULL);
    if (batch->state == BATCH_FAILED && message.len) {
        batch->errors = arena_calloc(c->arena, 1, sizeof *batch->errors);
        batch->errors[0].code = batch->status;
        batch->errors[0].message = message;
        batch->error_count = 1;
    }
    return 0;
}

/* Read manifest.json.out {totalRecordCount, processedRecordCount, successRecordCount,
 * errorRecordCount, inputTokenCount, outputTokenCount}. It exists once the job has ended;
 * every record it processed has a line. All processed: Completed. Fewer: the job ended
 * early, which the manifest does not explain: read as Expired (records never processed
 * end expired; a stopped job's job object says Stopped). */
static int read_manifest(const record_ctx *c, int root, batch_info *batch) {
    opt_i64 processed = {false, 0};
    if (rec_int(c, json_get(c->doc, root, "totalRecordCount"), "totalRecordCount",
                &batch->count_total) < 0 ||
        rec_int(c, json_get(c->doc, root, "processedRecordCount"), "processedRecordCount",
                &processed) < 0 ||
        rec_int(c, json_get(c->doc, root, "successRecordCount"), "successRecordCount",
                &batch->count_succeeded) < 0 ||
        rec_int(c, json_get(c->doc, root, "errorRecordCount"), "errorRecordCount",
                &batch->count_errored) < 0 ||
        rec_int(c, json_get(c->doc, root, "inputTokenCount"), "inputTokenCount",
                &batch->usage_input_tokens) < 0 ||
        rec_int(c, json_get(c->doc, root, "outputTokenCount"), "outputTokenCount",
                &batch->usage_output_tokens) < 0)
        return -1;
    batch->count_with_line = processed;
    bool all = !batch->count_total.has || !processed.has ||
               processed.value >= batch->count_total.value;
    batch->state = all ? BATCH_COMPLETED : BATCH_EXPIRED;
    batch->status = all ? STR_LIT("Completed") : STR_LIT("Expired");
    return 0;
}

/* provider_ops.parse_batch: the job, or the manifest. */
static int bedrock_parse_batch(const json_doc *doc, int root, arena_t *a, batch_info *batch,
                               char *reason) {
    record_ctx c = {doc, a, reason};
    if (!rec_is(&c, root, JSON_OBJECT)) return fail(reason, "record is not a JSON object");
    batch->endpoint = STR_LIT(BEDROCK_ENDPOINT);
    if (json_get(doc, root, "totalRecordCount") >= 0) return read_manifest(&c, root, batch);
    return read_job(&c, root, batch);
}

/* ---- recognising records ---- */

/* provider_ops.is_request: {recordId, modelInput}. */
static bool bedrock_is_request(const json_doc *doc, int root) {
    return json_type_of(doc, json_get(doc, root, "modelInput")) == JSON_OBJECT &&
           json_get(doc, root, "modelOutput") < 0 && json_get(doc, root, "error") < 0;
}

/* provider_ops.is_result: {recordId, modelOutput} or {recordId, error}. */
static bool bedrock_is_result(const json_doc *doc, int root) {
    return json_get(doc, root, "recordId") >= 0 &&
           (json_get(doc, root, "modelOutput") >= 0 || json_get(doc, root, "error") >= 0);
}

/* provider_ops.is_batch: a job (jobArn) or a manifest (totalRecordCount). */
static bool bedrock_is_batch(const json_doc *doc, int root) {
    return json_get(doc, root, "jobArn") >= 0 || json_get(doc, root, "totalRecordCount") >= 0;
}

const provider_ops provider_bedrock = {
    .name = "aws.bedrock",
    .alias = "bedrock",
    .format = "aws.bedrock",
    .is_request = bedrock_is_request,
    .is_result = bedrock_is_result,
    .is_batch = bedrock_is_batch,
    .request_custom_id = bedrock_request_custom_id,
    .parse_request = bedrock_parse_request,
    .parse_result = bedrock_parse_result,
    .parse_batch = bedrock_parse_batch,
};
