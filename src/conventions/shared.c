/* Helpers of the backend-dialect conventions (see shared.h). */
#include "conventions/shared.h"

#include <stdarg.h>
#include <stdio.h>

#include "util/arena.h"
#include "util/reason.h"

/* See shared.h. */
const char *conv_key(span_t *span, const char *fmt, ...) {
    char small[128];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (len < 0) return "";
    if ((size_t)len < sizeof small) return arena_strndup(span->arena, small, (size_t)len).ptr;
    char *key = arena_alloc(span->arena, (size_t)len + 1);
    va_start(ap, fmt);
    vsnprintf(key, (size_t)len + 1, fmt, ap);
    va_end(ap);
    return key;
}

/* See shared.h. */
void conv_attr_buf(span_t *span, const char *key, const buf_t *json) {
    span_attr_str(span, key, arena_strndup(span->arena, buf_cstr(json), json->len));
}

/* See shared.h. Whitespace is insignificant outside strings; inside one, a backslash
 * escapes the next byte (so an escaped quote does not end it). */
void conv_append_compact(buf_t *out, bt_str json) {
    bool in_string = false, escaped = false;
    size_t run_start = 0;
    for (size_t i = 0; i < json.len; i++) {
        char c = json.ptr[i];
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            buf_append(out, json.ptr + run_start, i - run_start);
            run_start = i + 1;
        }
    }
    buf_append(out, json.ptr + run_start, json.len - run_start);
}

/* See shared.h. */
void conv_write_raw(jw_t *w, bt_str json) {
    buf_t compact = BUF_INIT;
    conv_append_compact(&compact, json);
    jw_raw(w, (bt_str){buf_cstr(&compact), compact.len});
    buf_free(&compact);
}

/* See shared.h. */
void conv_attr_opt_int(span_t *span, const char *key, opt_i64 value) {
    if (value.has) span_attr_int(span, key, value.value);
}

/* See shared.h. */
void native_body_parse(native_body *body, bt_str text) {
    body->doc = (json_doc)JSON_DOC_INIT;
    body->root = -1;
    char reason[REASON_MAX];
    if (text.len && json_parse(&body->doc, text.ptr, text.len, reason) == 0 &&
        json_type_of(&body->doc, 0) == JSON_OBJECT)
        body->root = 0;
}

/* See shared.h. */
void native_body_free(native_body *body) { json_doc_free(&body->doc); }

/* The request parameters a backend shows, and whether each carries content (--no-content
 * drops those). Left out on purpose: model (each dialect has its own model attribute),
 * messages, input, prompt and system (the input itself), and mcp_servers (it can hold
 * authorization tokens). */
static const struct {
    const char *name;        /* as OpenAI or Anthropic spell it in a request body */
    bool content;            /* carries prompt or tool content */
} request_params[] = {
    {"max_tokens", false}, {"max_completion_tokens", false},
    {"max_output_tokens", false}, {"temperature", false}, {"top_p", false}, {"top_k", false},
    {"n", false}, {"best_of", false}, {"seed", false}, {"stop", false},
    {"stop_sequences", false}, {"frequency_penalty", false}, {"presence_penalty", false},
    {"logit_bias", false}, {"logprobs", false}, {"top_logprobs", false}, {"echo", false},
    {"stream", false}, {"stream_options", false}, {"service_tier", false}, {"user", false},
    {"metadata", false}, {"store", false}, {"parallel_tool_calls", false},
    {"tool_choice", false}, {"function_call", false}, {"reasoning", false},
    {"reasoning_effort", false}, {"thinking", false}, {"truncation", false},
    {"modalities", false}, {"verbosity", false}, {"encoding_format", false},
    {"dimensions", false}, {"previous_response_id", false}, {"include", false},
    {"max_tool_calls", false}, {"container", false},
    {"instructions", true}, {"tools", true}, {"functions", true}, {"response_format", true},
    {"text", true}, {"prediction", true}, {"suffix", true},
};

/* See shared.h. A key given twice in the body is written once, with the value a JSON parser
 * keeps (the last). */
void conv_write_request_params(jw_t *w, const native_body *request, bool no_content) {
    const json_doc *doc = &request->doc;
    int root = request->root;
    if (root < 0) return;
    int members = json_count(doc, root);
    int key = json_first(doc, root);
    for (int i = 0; i < members; i++) {
        int value = json_next(doc, key);
        for (size_t p = 0; p < sizeof request_params / sizeof request_params[0]; p++) {
            if (!json_string_eq(doc, key, request_params[p].name)) continue;
            if ((no_content && request_params[p].content) ||
                json_get(doc, root, request_params[p].name) != value)
                break;
            jw_key(w, request_params[p].name);
            conv_write_raw(w, json_raw(doc, value));
            break;
        }
        key = json_next(doc, value);
    }
}

/* See shared.h. */
conv_tokens conv_tokens_of(const bt_item *item) {
    conv_tokens tokens = {item->input_tokens, item->output_tokens, {false, 0},
                          item->cache_read_tokens, item->cache_creation_tokens,
                          item->reasoning_tokens};
    if (tokens.prompt.has || tokens.completion.has) {
        tokens.total.has = true;
        tokens.total.value = (tokens.prompt.has ? tokens.prompt.value : 0) +
                             (tokens.completion.has ? tokens.completion.value : 0);
    }
    return tokens;
}

/* True for the parts whose content is message text: text and a tool's result. */
static bool is_text_part(const msg_part *part) {
    return part->type == PART_TEXT || part->type == PART_TOOL_CALL_RESPONSE;
}

/* See shared.h. */
bt_str conv_message_text(arena_t *arena, const msg *message) {
    size_t text_parts = 0;
    bt_str only = STR_NULL;
    for (size_t i = 0; i < message->part_count; i++) {
        if (!is_text_part(&message->parts[i])) continue;
        only = message->parts[i].content;
        text_parts++;
    }
    if (text_parts <= 1) return only;
    buf_t joined = BUF_INIT;
    for (size_t i = 0; i < message->part_count; i++) {
        if (is_text_part(&message->parts[i]))
            buf_append(&joined, message->parts[i].content.ptr, message->parts[i].content.len);
    }
    bt_str text = arena_strndup(arena, buf_cstr(&joined), joined.len);
    buf_free(&joined);
    return text;
}

/* See shared.h. */
void conv_write_if_some(jw_t *w, const char *key, bt_str value) {
    if (!str_some(value)) return;
    jw_key(w, key);
    jw_string(w, value);
}

/* See shared.h. */
void conv_task_input_json(buf_t *out, const task_totals *totals) {
    jw_t w;
    jw_init(&w, out);
    jw_object_open(&w);
    conv_write_if_some(&w, "provider", str_c(totals->provider));
    conv_write_if_some(&w, "batch_id", totals->batch_id);
    conv_write_if_some(&w, "endpoint", totals->endpoint);
    jw_key(&w, "models");
    jw_array_open(&w);
    for (size_t i = 0; i < totals->model_count; i++) jw_string(&w, totals->models[i]);
    jw_array_close(&w);
    jw_object_close(&w);
}

/* See shared.h. */
void conv_task_output_json(buf_t *out, const task_totals *totals) {
    jw_t w;
    jw_init(&w, out);
    jw_object_open(&w);
    conv_write_if_some(&w, "batch_status", totals->batch_status);
    jw_key(&w, "request_counts");
    jw_object_open(&w);
    const struct { const char *name; uint64_t count; } counts[] = {
        {"total", totals->total},       {"succeeded", totals->succeeded},
        {"errored", totals->errored},   {"canceled", totals->canceled},
        {"expired", totals->expired},   {"missing", totals->missing},
    };
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        jw_key(&w, counts[i].name);
        jw_uint(&w, counts[i].count);
    }
    jw_object_close(&w);
    jw_object_close(&w);
}
