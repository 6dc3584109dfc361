/* Helpers of the backend-dialect conventions (see shared.h). */
#include "conventions/shared.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/arena.h"
#include "util/reason.h"

/* A scratch buffer whose allocation grew past this is released when given back, so that one
 * huge item does not pin its size on the thread for the rest of the run. */
enum { SCRATCH_KEEP_BYTES = 1 << 20 };

/* Set once by create_scratch_key (under scratch_once), read-only afterwards: the key under
 * which each thread keeps its spare scratch buffer (freed by free_scratch at thread exit). */
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static pthread_key_t scratch_key;
static bool scratch_key_ok;

/* Release a scratch buffer and its bytes. */
static void free_scratch(void *scratch) {
    buf_free(scratch);
    free(scratch);
}

/* Create the per-thread key (runs once, through pthread_once). Without it (the system's keys
 * exhausted) every take allocates a buffer and every give frees it. */
static void create_scratch_key(void) {
    scratch_key_ok = pthread_key_create(&scratch_key, free_scratch) == 0;
}

/* See shared.h. */
buf_t *conv_scratch_take(void) {
    pthread_once(&scratch_once, create_scratch_key);
    buf_t *scratch = scratch_key_ok ? pthread_getspecific(scratch_key) : NULL;
    if (!scratch) return xcalloc(1, sizeof *scratch);
    pthread_setspecific(scratch_key, NULL);
    buf_clear(scratch);
    return scratch;
}

/* See shared.h. The buffer becomes the thread's spare unless the thread has one already. */
void conv_scratch_give(buf_t *scratch) {
    if (scratch->cap > SCRATCH_KEEP_BYTES) buf_free(scratch);
    if (scratch_key_ok && !pthread_getspecific(scratch_key) &&
        pthread_setspecific(scratch_key, scratch) == 0)
        return;
    free_scratch(scratch);
}

/* The decimal digits of value, written at the end of digits. */
static bt_str decimal(size_t value, char digits[24]) {
    char *p = digits + 24;
    do {
        *--p = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    return (bt_str){p, (size_t)(digits + 24 - p)};
}

/* See shared.h. The conventions' keys only use %s and %zu, which are formatted here without
 * printf; a key with any other directive, or too long for the stack, goes to vsnprintf. */
const char *conv_key(span_t *span, const char *fmt, ...) {
    char small[128], digits[24];
    size_t len = 0;
    bool formatted = true;
    va_list ap;
    va_start(ap, fmt);
    for (const char *p = fmt; *p;) {
        bt_str piece;
        if (*p != '%') {
            const char *percent = strchr(p, '%');
            piece = (bt_str){p, percent ? (size_t)(percent - p) : strlen(p)};
            p += piece.len;
        } else if (p[1] == 's') {
            piece = str_c(va_arg(ap, const char *));
            p += 2;
        } else if (p[1] == 'z' && p[2] == 'u') {
            piece = decimal(va_arg(ap, size_t), digits);
            p += 3;
        } else {
            formatted = false;
            break;
        }
        if (len + piece.len >= sizeof small) {
            formatted = false;
            break;
        }
        if (piece.len) memcpy(small + len, piece.ptr, piece.len);
        len += piece.len;
    }
    va_end(ap);
    if (formatted) return arena_strndup(span->arena, small, len).ptr;

    va_start(ap, fmt);
    int full_len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (full_len < 0) return "";
    char *key = arena_alloc(span->arena, (size_t)full_len + 1);
    va_start(ap, fmt);
    vsnprintf(key, (size_t)full_len + 1, fmt, ap);
    va_end(ap);
    return key;
}

/* See shared.h. */
void conv_attr_buf(span_t *span, const char *key, const buf_t *json) {
    span_attr_str(span, key, arena_strndup(span->arena, buf_cstr(json), json->len));
}

/* The offset just past the closing quote of the string whose contents start at from (the
 * opening quote is before from), or json.len when it is not closed. A quote is the closing
 * one when an even number of backslashes precede it. */
static size_t string_end(bt_str json, size_t from) {
    for (;;) {
        const char *quote = memchr(json.ptr + from, '"', json.len - from);
        if (!quote) return json.len;
        size_t at = (size_t)(quote - json.ptr), backslashes = 0;
        while (at - backslashes > from && json.ptr[at - backslashes - 1] == '\\') backslashes++;
        if (backslashes % 2 == 0) return at + 1;
        from = at + 1;
    }
}

/* True for the whitespace JSON allows between tokens. */
static bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* The offset of the first whitespace byte outside strings at or after from (which is outside
 * a string), or json.len when there is none. Strings are skipped with memchr: they hold most
 * of the bytes of a provider body. */
static size_t next_space(bt_str json, size_t from) {
    size_t i = from;
    while (i < json.len) {
        char c = json.ptr[i];
        if (c == '"')
            i = string_end(json, i + 1);
        else if (is_json_space(c))
            return i;
        else
            i++;
    }
    return json.len;
}

/* See shared.h. Whitespace is insignificant outside strings; inside one, a backslash escapes
 * the next byte (so an escaped quote does not end it). */
void conv_append_compact(buf_t *out, bt_str json) {
    size_t i = 0;
    for (;;) {
        size_t space = next_space(json, i);
        buf_append(out, json.ptr + i, space - i);
        if (space == json.len) return;
        for (i = space; i < json.len && is_json_space(json.ptr[i]);) i++;
    }
}

/* See shared.h. */
void conv_attr_compact(span_t *span, const char *key, bt_str json) {
    if (next_space(json, 0) == json.len) {
        span_attr_str(span, key, json);
        return;
    }
    buf_t *compact = conv_scratch_take();
    conv_append_compact(compact, json);
    conv_attr_buf(span, key, compact);
    conv_scratch_give(compact);
}

/* See shared.h. A value with whitespace to drop is compacted straight into the writer's
 * buffer, after an empty jw_raw has written the comma that comes before it. */
void conv_write_raw(jw_t *w, bt_str json) {
    if (next_space(json, 0) == json.len) {
        jw_raw(w, json);
        return;
    }
    jw_raw(w, STR_NULL);
    conv_append_compact(w->out, json);
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
static const struct request_param {
    const char *name;        /* as OpenAI or Anthropic spell it in a request body */
    size_t name_len;         /* strlen(name) */
    bool content;            /* carries prompt or tool content */
} request_params[] = {
#define PARAM(name, content) {name, sizeof name - 1, content}
    PARAM("max_tokens", false), PARAM("max_completion_tokens", false),
    PARAM("max_output_tokens", false), PARAM("temperature", false), PARAM("top_p", false),
    PARAM("top_k", false), PARAM("n", false), PARAM("best_of", false), PARAM("seed", false),
    PARAM("stop", false), PARAM("stop_sequences", false), PARAM("frequency_penalty", false),
    PARAM("presence_penalty", false), PARAM("logit_bias", false), PARAM("logprobs", false),
    PARAM("top_logprobs", false), PARAM("echo", false), PARAM("stream", false),
    PARAM("stream_options", false), PARAM("service_tier", false), PARAM("user", false),
    PARAM("metadata", false), PARAM("store", false), PARAM("parallel_tool_calls", false),
    PARAM("tool_choice", false), PARAM("function_call", false), PARAM("reasoning", false),
    PARAM("reasoning_effort", false), PARAM("thinking", false), PARAM("truncation", false),
    PARAM("modalities", false), PARAM("verbosity", false), PARAM("encoding_format", false),
    PARAM("dimensions", false), PARAM("previous_response_id", false), PARAM("include", false),
    PARAM("max_tool_calls", false), PARAM("container", false), PARAM("instructions", true),
    PARAM("tools", true), PARAM("functions", true), PARAM("response_format", true),
    PARAM("text", true), PARAM("prediction", true), PARAM("suffix", true),
#undef PARAM
};

/* The request parameter whose name the object key key is, or NULL. A key without escapes
 * (all of them in practice) is compared as raw bytes, length first; one with escapes is
 * unescaped by json_string_eq. */
static const struct request_param *find_request_param(const json_doc *doc, int key) {
    bt_str raw = json_raw(doc, key);
    bool escaped = raw.len < 2 || memchr(raw.ptr, '\\', raw.len) != NULL;
    bt_str name = escaped ? STR_NULL : (bt_str){raw.ptr + 1, raw.len - 2};
    for (size_t p = 0; p < sizeof request_params / sizeof request_params[0]; p++) {
        const struct request_param *param = &request_params[p];
        if (escaped ? json_string_eq(doc, key, param->name)
                    : name.len == param->name_len &&
                          memcmp(name.ptr, param->name, name.len) == 0)
            return param;
    }
    return NULL;
}

/* See shared.h. A key given twice in the body is written once, with the value a JSON parser
 * keeps (the last). */
void conv_write_request_params(jw_t *w, const native_body *request, bool no_content,
                               const char *skip) {
    const json_doc *doc = &request->doc;
    int root = request->root;
    if (root < 0) return;
    int members = json_count(doc, root);
    int key = json_first(doc, root);
    for (int i = 0; i < members; i++) {
        int value = json_next(doc, key);
        const struct request_param *param = find_request_param(doc, key);
        if (param && !(no_content && param->content) &&
            !(skip && strcmp(skip, param->name) == 0) &&
            json_get(doc, root, param->name) == value) {
            jw_key(w, param->name);
            conv_write_raw(w, json_raw(doc, value));
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
    size_t text_parts = 0, total = 0;
    bt_str only = STR_NULL;
    for (size_t i = 0; i < message->part_count; i++) {
        if (!is_text_part(&message->parts[i])) continue;
        only = message->parts[i].content;
        total += only.len;
        text_parts++;
    }
    if (text_parts <= 1) return only;
    char *joined = arena_alloc(arena, total + 1);
    size_t used = 0;
    for (size_t i = 0; i < message->part_count; i++) {
        const bt_str content = message->parts[i].content;
        if (!is_text_part(&message->parts[i]) || !content.len) continue;
        memcpy(joined + used, content.ptr, content.len);
        used += content.len;
    }
    joined[used] = '\0';
    return (bt_str){joined, used};
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
