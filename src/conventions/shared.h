/* What the conventions share (mostly the backend dialects: braintrust, openinference,
 * traceloop): a per-thread scratch buffer for building values, keys built at run time, JSON
 * documents copied into the span's arena, the provider-native request and response bodies
 * parsed again, the request parameters a backend shows, token totals, and the
 * two content-free documents describing a batch on the task span. */
#ifndef BT_CONVENTIONS_SHARED_H
#define BT_CONVENTIONS_SHARED_H

#include <stdbool.h>
#include <stdint.h>

#include "conventions/convention.h"
#include "json/json.h"
#include "json/writer.h"
#include "util/buf.h"

/* A NUL-terminated key formatted into span->arena (span attribute keys are borrowed, so a key
 * such as "llm.input_messages.3.message.role" must live as long as the span). */
const char *conv_key(span_t *span, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A per-thread scratch buffer, empty, for building attribute values that are then copied into
 * span->arena: it keeps its allocation from one item to the next, so building an item's
 * documents allocates nothing once the thread has seen a few. The caller owns it until it
 * gives it back with conv_scratch_give (before returning from the convention); a second
 * take on the same thread meanwhile gets a buffer of its own. */
buf_t *conv_scratch_take(void);
/* Give back a buffer from conv_scratch_take (the caller must not use it afterwards). */
void conv_scratch_give(buf_t *scratch);

/* Add key = the bytes of json, copied into span->arena (json may be reused afterwards). */
void conv_attr_buf(span_t *span, const char *key, const buf_t *json);

/* Append json (valid JSON text) to out without its insignificant whitespace: raw provider
 * bodies may be pretty-printed, attribute values are compact. */
void conv_append_compact(buf_t *out, bt_str json);
/* Add key = json compacted as above: borrowed from json when it is compact already, else a
 * compacted copy in span->arena. */
void conv_attr_compact(span_t *span, const char *key, bt_str json);
/* Write json (valid JSON text) as the next value of w, compacted as above. */
void conv_write_raw(jw_t *w, bt_str json);

/* Write "key": value with w when value is non-empty. */
void conv_write_if_some(jw_t *w, const char *key, bt_str value);

/* Add key = value when the provider gave the integer. */
void conv_attr_opt_int(span_t *span, const char *key, opt_i64 value);

/* A provider-native body parsed again: root is 0 when it parsed as a JSON object, else -1
 * (empty or unparsable body: every lookup then answers "absent"). */
typedef struct native_body {
    json_doc doc;            /* owns its tokens; borrows the body text from the item */
    int root;                /* 0, or -1 when there is no usable body */
} native_body;

/* Parse body (request_body or response_body of an item). Release with native_body_free. */
void native_body_parse(native_body *body, bt_str text);
/* Release the tokens. */
void native_body_free(native_body *body);

/* Write, as members of the object being written by w, the request parameters a backend shows
 * (max_tokens, temperature, ..., tool_choice, reasoning): a fixed list of the OpenAI and
 * Anthropic parameter names, in the order the body has them, values compacted. The model (each
 * dialect has its own attribute for it), messages, input and prompts never appear; with
 * no_content the parameters that carry content (tools, functions, instructions,
 * response_format, text, prediction, suffix) are left out too, and so is the parameter named
 * skip (NULL for none), which the caller writes itself with another value. */
void conv_write_request_params(jw_t *w, const native_body *request, bool no_content,
                               const char *skip);

/* The token counts every dialect reports, from the item's normalized usage: prompt includes
 * the cache reads and writes (SPEC section 5), total is prompt + completion of those given. */
typedef struct conv_tokens {
    opt_i64 prompt, completion, total, cache_read, cache_creation, reasoning;
} conv_tokens;

/* The item's token counts in the shape above. */
conv_tokens conv_tokens_of(const bt_item *item);

/* The text of a message: its text parts and tool results, concatenated as OpenLLMetry does
 * (a copy in arena when there are several; empty when there is none). */
bt_str conv_message_text(arena_t *arena, const msg *message);

/* Append to out the task span's content-free input document:
 * {"provider", "batch_id"?, "endpoint"?, "models": [...]} (absent values left out). */
void conv_task_input_json(buf_t *out, const task_totals *totals);
/* Append to out the task span's output document:
 * {"batch_status"?, "request_counts": {total, succeeded, errored, canceled, expired, missing}}. */
void conv_task_output_json(buf_t *out, const task_totals *totals);

#endif
