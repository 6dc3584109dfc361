/* The OpenAI Batch API provider (also Azure OpenAI and OpenAI-compatible servers): input
 * lines {custom_id, method, url, body}, output/error lines {id, custom_id, response, error}
 * and the batch object, turned into the normalized item of providers/item.h.
 *
 * Strings in an item or batch_info borrow the record's JSON text when they can (a string
 * with no escapes, a raw JSON value); an escaped string is unescaped, and every array
 * allocated, in the arena the caller passes. So the item lives as long as both the arena and
 * the record's text (provider.h). The only heap allocation outside the arena is the
 * short-lived document that checks whether a tool call's arguments string is itself JSON.
 *
 * An object whose members are read for several keys is scanned once (json_get_fields, with a
 * key table per kind of object) rather than once per key.
 *
 * Field rules: a required field (custom_id, body, url, the response/error shape) that is
 * missing or of the wrong type rejects the record; an optional field that is null or of the
 * wrong type is ignored, except an integer that fails strict parsing (fraction, exponent,
 * out of int64 range), which rejects the record since clamping it would lie. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "providers/provider.h"
#include "providers/record.h"
#include "util/timeutil.h"

/* The longest piece of a raw value quoted in a reason. */
#define OA_QUOTE_MAX 40

/* What every helper needs while reading one record (providers/record.h). */
typedef record_ctx oa_ctx;

/* The request formats an OpenAI batch can hold. */
typedef enum oa_endpoint {
    OA_CHAT,         /* /v1/chat/completions */
    OA_RESPONSES,    /* /v1/responses */
    OA_EMBEDDINGS,   /* /v1/embeddings */
    OA_COMPLETIONS,  /* /v1/completions */
    OA_MODERATIONS,  /* /v1/moderations */
} oa_endpoint;

/* A message being built (providers/record.h). */
typedef msg_builder oa_msg_builder;

/* ---- small readers over the document ---- */

/* True when tok exists and is not JSON null (null counts as absent everywhere). */
static bool present(const oa_ctx *c, int tok) {
    json_type type = json_type_of(c->doc, tok);
    return type != JSON_NONE && type != JSON_NULL;
}

/* True when tok is of the given type. */
static bool is_type(const oa_ctx *c, int tok, json_type type) {
    return json_type_of(c->doc, tok) == type;
}

/* The unescaped string at tok (borrowed from the text, or in the arena when it had
 * escapes); empty when tok is not a string. */
static bt_str str_at(const oa_ctx *c, int tok) {
    bt_str s = STR_NULL;
    if (json_string_borrowed(c->doc, tok, c->arena, &s) < 0) return STR_NULL;
    return s;
}

/* The string member key of obj (as str_at); empty when absent or not a string. */
static bt_str str_field(const oa_ctx *c, int obj, const char *key) {
    return str_at(c, json_get(c->doc, obj, key));
}

/* tok when it is of the given type, else -1. */
static int typed(const oa_ctx *c, int tok, json_type type) {
    return is_type(c, tok, type) ? tok : -1;
}

/* The member key of obj when it is of the given type, else -1. */
static int typed_field(const oa_ctx *c, int obj, const char *key, json_type type) {
    return typed(c, json_get(c->doc, obj, key), type);
}

/* The raw JSON text of tok, borrowed from the record's text. */
static bt_str raw_at(const oa_ctx *c, int tok) { return json_raw(c->doc, tok); }

/* True when tok is a string equal to s. */
static bool str_is(const oa_ctx *c, int tok, const char *s) {
    return json_string_eq(c->doc, tok, s);
}

/* Read the optional integer at tok (a member's value, or -1) into out. Absent, null or not
 * a number: out is left alone. A number that is not a strict int64 rejects the record;
 * label names the field in the reason. */
static int int_at(const oa_ctx *c, int tok, const char *label, opt_i64 *out) {
    if (!is_type(c, tok, JSON_NUMBER)) return 0;
    int64_t value;
    if (json_int64(c->doc, tok, &value) < 0) {
        bt_str raw = json_raw(c->doc, tok);
        int quoted = raw.len > OA_QUOTE_MAX ? OA_QUOTE_MAX : (int)raw.len;
        return fail(c->reason, "\"%s\" is not an integer in int64 range: %.*s%s", label,
                    quoted, raw.ptr, raw.len > OA_QUOTE_MAX ? "..." : "");
    }
    out->has = true;
    out->value = value;
    return 0;
}

/* Read the optional integer member key of obj into out, as int_at. */
static int int_field(const oa_ctx *c, int obj, const char *key, const char *label,
                     opt_i64 *out) {
    return int_at(c, json_get(c->doc, obj, key), label, out);
}

/* Read the optional unix-seconds value at tok into *out_ns (left alone when absent).
 * Rejects non-integers and times that do not fit in int64 nanoseconds. */
static int time_at(const oa_ctx *c, int tok, const char *label, int64_t *out_ns) {
    opt_i64 seconds = {false, 0};
    if (int_at(c, tok, label, &seconds) < 0) return -1;
    if (!seconds.has) return 0;
    if (time_from_unix_seconds(seconds.value, out_ns) < 0)
        return fail(c->reason, "\"%s\" is out of range: %" PRId64, label, seconds.value);
    return 0;
}

/* Read the optional unix-seconds member key of obj into *out_ns, as time_at. */
static int time_field(const oa_ctx *c, int obj, const char *key, const char *label,
                      int64_t *out_ns) {
    return time_at(c, json_get(c->doc, obj, key), label, out_ns);
}

/* Read the optional number at tok into out; anything but a number is ignored. */
static void double_at(const oa_ctx *c, int tok, opt_f64 *out) {
    double value;
    if (!is_type(c, tok, JSON_NUMBER) || json_double(c->doc, tok, &value) < 0) return;
    out->has = true;
    out->value = value;
}

/* prefix followed by s, NUL-terminated in the arena. */
static bt_str concat(const oa_ctx *c, const char *prefix, bt_str s) {
    size_t prefix_len = strlen(prefix);
    char *joined = arena_alloc(c->arena, prefix_len + s.len + 1);
    memcpy(joined, prefix, prefix_len);
    if (s.len) memcpy(joined + prefix_len, s.ptr, s.len);
    joined[prefix_len + s.len] = '\0';
    return (bt_str){joined, prefix_len + s.len};
}

/* ---- messages and parts ---- */

/* True when text is exactly one valid JSON value. Uses a short-lived document (one heap
 * allocation, released before returning). */
static bool text_is_json(bt_str text) {
    if (!text.len) return false;
    json_doc scratch = JSON_DOC_INIT;
    char scratch_reason[REASON_MAX];
    bool valid = json_parse(&scratch, text.ptr, text.len, scratch_reason) == 0;
    json_doc_free(&scratch);
    return valid;
}

/* Set a tool call's arguments from tok: a string is unescaped and flagged as JSON when it
 * parses as JSON; an object or array (as some OpenAI-compatible servers send) is kept raw. */
static void set_arguments(const oa_ctx *c, msg_part *part, int tok) {
    if (is_type(c, tok, JSON_OBJECT) || is_type(c, tok, JSON_ARRAY)) {
        part->arguments = raw_at(c, tok);
        part->arguments_is_json = true;
        return;
    }
    part->arguments = str_at(c, tok);
    part->arguments_is_json = text_is_json(part->arguments);
}

/* Fill an image or audio part from a URL: a `data:MIME;base64,DATA` URL becomes a blob
 * (mime type and data are slices of url), anything else a uri. */
static void set_media(msg_part *part, bt_str url, const char *modality) {
    part->modality = str_c(modality);
    static const char data_prefix[] = "data:";
    static const char base64_suffix[] = ";base64";
    size_t prefix_len = sizeof data_prefix - 1, suffix_len = sizeof base64_suffix - 1;
    const char *comma = url.len > prefix_len && memcmp(url.ptr, data_prefix, prefix_len) == 0
                            ? memchr(url.ptr, ',', url.len)
                            : NULL;
    if (comma) {
        bt_str meta = {url.ptr + prefix_len, (size_t)(comma - url.ptr) - prefix_len};
        if (meta.len >= suffix_len &&
            memcmp(meta.ptr + meta.len - suffix_len, base64_suffix, suffix_len) == 0) {
            const char *semicolon = memchr(meta.ptr, ';', meta.len);
            part->type = PART_BLOB;
            part->mime_type = (bt_str){meta.ptr, (size_t)(semicolon - meta.ptr)};
            part->content = (bt_str){comma + 1, url.len - (size_t)(comma + 1 - url.ptr)};
            return;
        }
    }
    part->type = PART_URI;
    part->uri = url;
}

/* Append an audio blob from an {data, format} object (Chat input_audio). */
static void add_audio(const oa_ctx *c, oa_msg_builder *b, int audio) {
    if (!is_type(c, audio, JSON_OBJECT)) return;
    msg_part *part = msg_builder_add(c, b, PART_BLOB);
    part->modality = STR_LIT("audio");
    part->content = str_field(c, audio, "data");
    bt_str format = str_field(c, audio, "format");
    if (format.len) part->mime_type = concat(c, "audio/", format);
}

/* Append one typed content part of either API: text / input_text / output_text, refusal,
 * image_url (Chat: {url}) / input_image (Responses: a URL string), input_audio. Other types
 * (files, image ids) carry nothing the item can hold and are skipped. */
static void add_content_part(const oa_ctx *c, oa_msg_builder *b, int part) {
    enum { TYPE, TEXT, REFUSAL, IMAGE_URL, INPUT_AUDIO, KEY_COUNT };
    static const json_key keys[KEY_COUNT] = {
        [TYPE] = JSON_KEY("type"),       [TEXT] = JSON_KEY("text"),
        [REFUSAL] = JSON_KEY("refusal"), [IMAGE_URL] = JSON_KEY("image_url"),
        [INPUT_AUDIO] = JSON_KEY("input_audio"),
    };
    if (!is_type(c, part, JSON_OBJECT)) return;
    int field[KEY_COUNT];
    json_get_fields(c->doc, part, keys, KEY_COUNT, field);
    int type = field[TYPE];
    if (str_is(c, type, "text") || str_is(c, type, "input_text") ||
        str_is(c, type, "output_text")) {
        if (is_type(c, field[TEXT], JSON_STRING))
            msg_builder_string(c, b, PART_TEXT, field[TEXT]);
    } else if (str_is(c, type, "refusal")) {
        if (is_type(c, field[REFUSAL], JSON_STRING))
            msg_builder_string(c, b, PART_TEXT, field[REFUSAL]);
    } else if (str_is(c, type, "image_url") || str_is(c, type, "input_image")) {
        int image = field[IMAGE_URL];
        bt_str url = is_type(c, image, JSON_OBJECT) ? str_field(c, image, "url") : str_at(c, image);
        if (url.len) set_media(msg_builder_add(c, b, PART_URI), url, "image");
    } else if (str_is(c, type, "input_audio")) {
        add_audio(c, b, field[INPUT_AUDIO]);
    }
}

/* Append the parts of a content value: a string is one text part, an array holds typed
 * parts, anything else (null) adds nothing. */
static void add_content(const oa_ctx *c, oa_msg_builder *b, int content) {
    if (is_type(c, content, JSON_STRING)) {
        msg_builder_string(c, b, PART_TEXT, content);
    } else if (is_type(c, content, JSON_ARRAY)) {
        for (int part = json_first(c->doc, content), i = 0; i < json_count(c->doc, content);
             part = json_next(c->doc, part), i++)
            add_content_part(c, b, part);
    }
}

/* The text of a content value: a string as is, an array as the concatenation of its text
 * parts (in the arena); empty otherwise. */
static bt_str content_text(const oa_ctx *c, int content) {
    if (is_type(c, content, JSON_STRING)) return str_at(c, content);
    if (!is_type(c, content, JSON_ARRAY)) return STR_NULL;
    int count = json_count(c->doc, content);
    bt_str *pieces = arena_calloc(c->arena, (size_t)count, sizeof(bt_str));
    size_t total = 0;
    for (int part = json_first(c->doc, content), i = 0; i < count;
         part = json_next(c->doc, part), i++) {
        pieces[i] = str_field(c, part, "text");
        total += pieces[i].len;
    }
    char *joined = arena_alloc(c->arena, total + 1);
    size_t used = 0;
    for (int i = 0; i < count; i++) {
        if (pieces[i].len) memcpy(joined + used, pieces[i].ptr, pieces[i].len);
        used += pieces[i].len;
    }
    joined[used] = '\0';
    return (bt_str){joined, total};
}

/* Append a tool call from a Chat tool_calls element: {id, function:{name, arguments}} or
 * {id, type:"custom", custom:{name, input}}. */
static void add_chat_tool_call(const oa_ctx *c, oa_msg_builder *b, int call) {
    enum { ID, FUNCTION, CUSTOM, KEY_COUNT };
    static const json_key keys[KEY_COUNT] = {
        [ID] = JSON_KEY("id"), [FUNCTION] = JSON_KEY("function"), [CUSTOM] = JSON_KEY("custom"),
    };
    if (!is_type(c, call, JSON_OBJECT)) return;
    int field[KEY_COUNT];
    json_get_fields(c->doc, call, keys, KEY_COUNT, field);
    msg_part *part = msg_builder_add(c, b, PART_TOOL_CALL);
    part->id = str_at(c, field[ID]);
    int function = typed(c, field[FUNCTION], JSON_OBJECT);
    int custom = typed(c, field[CUSTOM], JSON_OBJECT);
    if (function >= 0) {
        part->name = str_field(c, function, "name");
        set_arguments(c, part, json_get(c->doc, function, "arguments"));
    } else if (custom >= 0) {
        part->name = str_field(c, custom, "name");
        set_arguments(c, part, json_get(c->doc, custom, "input"));
    }
}

/* Build one Chat Completions message (request history or a response choice's message):
 * role "tool" gives a tool_call_response part; others give reasoning_content (or an
 * OpenAI-compatible server's reasoning string), content, refusal and tool calls, in that
 * order. default_role is used when the message has no role. */
static msg chat_message(const oa_ctx *c, int obj, bt_str default_role) {
    enum { ROLE, CONTENT, TOOL_CALLS, TOOL_CALL_ID, REASONING_CONTENT, REASONING, REFUSAL,
           AUDIO, KEY_COUNT };
    static const json_key keys[KEY_COUNT] = {
        [ROLE] = JSON_KEY("role"),
        [CONTENT] = JSON_KEY("content"),
        [TOOL_CALLS] = JSON_KEY("tool_calls"),
        [TOOL_CALL_ID] = JSON_KEY("tool_call_id"),
        [REASONING_CONTENT] = JSON_KEY("reasoning_content"),
        [REASONING] = JSON_KEY("reasoning"),
        [REFUSAL] = JSON_KEY("refusal"),
        [AUDIO] = JSON_KEY("audio"),
    };
    int field[KEY_COUNT];
    json_get_fields(c->doc, obj, keys, KEY_COUNT, field);
    oa_msg_builder b;
    bt_str role = str_at(c, field[ROLE]);
    int content = field[CONTENT];
    int tool_calls = typed(c, field[TOOL_CALLS], JSON_ARRAY);
    size_t hint = 4 + (size_t)json_count(c->doc, content) + (size_t)json_count(c->doc, tool_calls);
    msg_builder_init(c, &b, role.len ? role : default_role, hint);
    if (str_eq_c(role, "tool")) {
        msg_part *part = msg_builder_add(c, &b, PART_TOOL_CALL_RESPONSE);
        part->id = str_at(c, field[TOOL_CALL_ID]);
        part->content = content_text(c, content);
        return b.m;
    }
    int reasoning = field[REASONING_CONTENT];
    if (!is_type(c, reasoning, JSON_STRING)) reasoning = field[REASONING];
    if (is_type(c, reasoning, JSON_STRING))
        msg_builder_string(c, &b, PART_REASONING, reasoning);
    add_content(c, &b, content);
    int refusal = field[REFUSAL];
    if (is_type(c, refusal, JSON_STRING)) msg_builder_string(c, &b, PART_TEXT, refusal);
    /* An audio answer {id, data, transcript, expires_at}: the transcript as text, the
     * data as an audio blob. */
    int audio = typed(c, field[AUDIO], JSON_OBJECT);
    bt_str transcript = str_field(c, audio, "transcript");
    bt_str audio_data = str_field(c, audio, "data");
    if (transcript.len) msg_builder_text(c, &b, PART_TEXT, transcript);
    if (audio_data.len) {
        msg_part *part = msg_builder_add(c, &b, PART_BLOB);
        part->modality = STR_LIT("audio");
        part->content = audio_data;
    }
    for (int call = json_first(c->doc, tool_calls), i = 0; i < json_count(c->doc, tool_calls);
         call = json_next(c->doc, call), i++)
        add_chat_tool_call(c, &b, call);
    return b.m;
}

/* Append the reasoning texts of a Responses reasoning item: summary[].text, then
 * content[].text (reasoning_text parts of open-weight models). */
static void add_reasoning_item(const oa_ctx *c, oa_msg_builder *b, int item) {
    static const char *const lists[] = {"summary", "content"};
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
        int list = typed_field(c, item, lists[l], JSON_ARRAY);
        for (int entry = json_first(c->doc, list), i = 0; i < json_count(c->doc, list);
             entry = json_next(c->doc, entry), i++) {
            int text = json_get(c->doc, entry, "text");
            if (is_type(c, text, JSON_STRING))
                msg_builder_string(c, b, PART_REASONING, text);
        }
    }
}

/* Append the parts of one Responses API item to b and set *role to the role it speaks
 * with: a message (type "message" or none), function_call, function_call_output or
 * reasoning. Returns false for kinds that carry no message content (item_reference,
 * built-in tool calls, ...), adding nothing. */
static bool add_responses_item(const oa_ctx *c, oa_msg_builder *b, int item, bt_str *role) {
    if (!is_type(c, item, JSON_OBJECT)) return false;
    int type = json_get(c->doc, item, "type");
    if (!present(c, type) || str_is(c, type, "message")) {
        *role = str_field(c, item, "role");
        add_content(c, b, json_get(c->doc, item, "content"));
    } else if (str_is(c, type, "function_call")) {
        *role = STR_LIT("assistant");
        msg_part *part = msg_builder_add(c, b, PART_TOOL_CALL);
        part->id = str_field(c, item, "call_id");
        part->name = str_field(c, item, "name");
        set_arguments(c, part, json_get(c->doc, item, "arguments"));
    } else if (str_is(c, type, "function_call_output")) {
        *role = STR_LIT("tool");
        msg_part *part = msg_builder_add(c, b, PART_TOOL_CALL_RESPONSE);
        part->id = str_field(c, item, "call_id");
        int output = json_get(c->doc, item, "output");
        if (is_type(c, output, JSON_STRING)) {
            part->content = str_at(c, output);
        } else if (present(c, output)) {
            part->content = raw_at(c, output);
            part->content_is_json = true;
        }
    } else if (str_is(c, type, "reasoning")) {
        *role = STR_LIT("assistant");
        add_reasoning_item(c, b, item);
    } else {
        return false;
    }
    return true;
}

/* ---- requests ---- */

/* Read the required, non-empty custom_id at tok (the record's member, or -1). */
static int custom_id_at(const oa_ctx *c, int tok, bt_str *custom_id) {
    if (!present(c, tok)) return fail(c->reason, "missing \"custom_id\"");
    if (!is_type(c, tok, JSON_STRING)) return fail(c->reason, "\"custom_id\" is not a string");
    *custom_id = str_at(c, tok);
    if (!custom_id->len) return fail(c->reason, "\"custom_id\" is empty");
    return 0;
}

/* The members of a request body the request side reads (body_keys, in json_get_fields). */
typedef enum body_key {
    BODY_MODEL,
    BODY_MESSAGES,
    BODY_INPUT,
    BODY_INSTRUCTIONS,
    BODY_PROMPT,
    BODY_TOOLS,
    BODY_MAX_COMPLETION_TOKENS,
    BODY_MAX_OUTPUT_TOKENS,
    BODY_MAX_TOKENS,
    BODY_SEED,
    BODY_N,
    BODY_TEMPERATURE,
    BODY_TOP_P,
    BODY_FREQUENCY_PENALTY,
    BODY_PRESENCE_PENALTY,
    BODY_STOP,
    BODY_TOOL_CHOICE,
    BODY_DIMENSIONS,
    BODY_KEY_COUNT,
} body_key;

/* The names of the body_key members. */
static const json_key body_keys[BODY_KEY_COUNT] = {
    [BODY_MODEL] = JSON_KEY("model"),
    [BODY_MESSAGES] = JSON_KEY("messages"),
    [BODY_INPUT] = JSON_KEY("input"),
    [BODY_INSTRUCTIONS] = JSON_KEY("instructions"),
    [BODY_PROMPT] = JSON_KEY("prompt"),
    [BODY_TOOLS] = JSON_KEY("tools"),
    [BODY_MAX_COMPLETION_TOKENS] = JSON_KEY("max_completion_tokens"),
    [BODY_MAX_OUTPUT_TOKENS] = JSON_KEY("max_output_tokens"),
    [BODY_MAX_TOKENS] = JSON_KEY("max_tokens"),
    [BODY_SEED] = JSON_KEY("seed"),
    [BODY_N] = JSON_KEY("n"),
    [BODY_TEMPERATURE] = JSON_KEY("temperature"),
    [BODY_TOP_P] = JSON_KEY("top_p"),
    [BODY_FREQUENCY_PENALTY] = JSON_KEY("frequency_penalty"),
    [BODY_PRESENCE_PENALTY] = JSON_KEY("presence_penalty"),
    [BODY_STOP] = JSON_KEY("stop"),
    [BODY_TOOL_CHOICE] = JSON_KEY("tool_choice"),
    [BODY_DIMENSIONS] = JSON_KEY("dimensions"),
};

/* Tell the endpoint of a request url: "/v1/chat/completions" and friends; the same paths
 * without "/v1" (Azure OpenAI's batch form) and with a query string are accepted too.
 * Returns -1 for any other url. */
static int classify_url(bt_str url, oa_endpoint *out) {
    static const struct { const char *path; oa_endpoint endpoint; } paths[] = {
        {"/chat/completions", OA_CHAT},
        {"/responses", OA_RESPONSES},
        {"/embeddings", OA_EMBEDDINGS},
        {"/completions", OA_COMPLETIONS},
        {"/moderations", OA_MODERATIONS},
    };
    const char *query = memchr(url.ptr ? url.ptr : "", '?', url.len);
    bt_str path = {url.ptr, query ? (size_t)(query - url.ptr) : url.len};
    if (path.len > 3 && memcmp(path.ptr, "/v1/", 4) == 0) {
        path.ptr += 3;
        path.len -= 3;
    }
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        if (str_eq_c(path, paths[i].path)) {
            *out = paths[i].endpoint;
            return 0;
        }
    }
    return -1;
}

/* The GenAI operation name of an endpoint (static). */
static const char *operation_of(oa_endpoint endpoint) {
    switch (endpoint) {
    case OA_CHAT:
    case OA_RESPONSES: return "chat";
    case OA_EMBEDDINGS: return "embeddings";
    case OA_COMPLETIONS: return "text_completion";
    case OA_MODERATIONS: return "moderation"; /* not a GenAI operation: batchtrace's name */
    }
    return "chat";
}

/* Read the request parameters shared by the endpoints from the body's members (field, by
 * body_key). The max-token field is the first of max_completion_tokens, max_output_tokens,
 * max_tokens that is set; all are checked. */
static int read_parameters(const oa_ctx *c, const int *field, bt_item *item) {
    static const body_key max_keys[] = {BODY_MAX_COMPLETION_TOKENS, BODY_MAX_OUTPUT_TOKENS,
                                        BODY_MAX_TOKENS};
    for (size_t i = 0; i < sizeof max_keys / sizeof max_keys[0]; i++) {
        opt_i64 value = {false, 0};
        if (int_at(c, field[max_keys[i]], body_keys[max_keys[i]].name, &value) < 0) return -1;
        if (value.has && !item->max_tokens.has) item->max_tokens = value;
    }
    if (int_at(c, field[BODY_SEED], "seed", &item->seed) < 0) return -1;
    if (int_at(c, field[BODY_N], "n", &item->choice_count) < 0) return -1;
    double_at(c, field[BODY_TEMPERATURE], &item->temperature);
    double_at(c, field[BODY_TOP_P], &item->top_p);
    double_at(c, field[BODY_FREQUENCY_PENALTY], &item->frequency_penalty);
    double_at(c, field[BODY_PRESENCE_PENALTY], &item->presence_penalty);

    int stop = field[BODY_STOP];
    if (is_type(c, stop, JSON_STRING)) {
        item->stop_sequences = arena_alloc(c->arena, sizeof(bt_str));
        item->stop_sequences[0] = str_at(c, stop);
        item->stop_sequence_count = 1;
    } else if (is_type(c, stop, JSON_ARRAY) && json_count(c->doc, stop) > 0) {
        int count = json_count(c->doc, stop);
        item->stop_sequences = arena_calloc(c->arena, (size_t)count, sizeof(bt_str));
        for (int entry = json_first(c->doc, stop), i = 0; i < count;
             entry = json_next(c->doc, entry), i++) {
            if (is_type(c, entry, JSON_STRING))
                item->stop_sequences[item->stop_sequence_count++] = str_at(c, entry);
        }
    }
    return 0;
}

/* Read the tools offered: Chat {type, function:{name, description, parameters}} (or
 * another type's object under its type name), Responses {type, name, description,
 * parameters}; other tool types keep their type and name. */
static void read_tools(const oa_ctx *c, int tools_tok, bt_item *item) {
    int tools = typed(c, tools_tok, JSON_ARRAY);
    int count = json_count(c->doc, tools);
    if (count <= 0) return;
    item->tools = arena_calloc(c->arena, (size_t)count, sizeof(tool_def));
    for (int tool = json_first(c->doc, tools), i = 0; i < count;
         tool = json_next(c->doc, tool), i++) {
        if (!is_type(c, tool, JSON_OBJECT)) continue;
        tool_def *def = &item->tools[item->tool_count++];
        def->type = str_field(c, tool, "type");
        /* Chat nests the definition under the type's name: {"type":"function","function":{}} */
        int inner = def->type.len ? json_get(c->doc, tool, arena_cstr(c->arena, def->type)) : -1;
        int source = is_type(c, inner, JSON_OBJECT) ? inner : tool;
        def->name = str_field(c, source, "name");
        def->description = str_field(c, source, "description");
        int parameters = json_get(c->doc, source, "parameters");
        if (present(c, parameters)) def->parameters = raw_at(c, parameters);
    }
}

/* Read Chat messages (the body's messages member) into input_messages (system and developer
 * messages included). */
static void read_chat_messages(const oa_ctx *c, int messages_tok, bt_item *item) {
    int messages = typed(c, messages_tok, JSON_ARRAY);
    int count = json_count(c->doc, messages);
    if (count <= 0) return;
    item->input_messages = arena_calloc(c->arena, (size_t)count, sizeof(msg));
    for (int message = json_first(c->doc, messages), i = 0; i < count;
         message = json_next(c->doc, message), i++) {
        if (!is_type(c, message, JSON_OBJECT)) continue;
        item->input_messages[item->input_message_count++] = chat_message(c, message, STR_NULL);
    }
}

/* Read a Responses request from the body's members `input` (a string is one user message;
 * an array holds messages and items) and `instructions` (the system instructions). */
static void read_responses_input(const oa_ctx *c, int instructions, int input, bt_item *item) {
    if (is_type(c, instructions, JSON_STRING)) {
        item->system_instructions = arena_calloc(c->arena, 1, sizeof(msg_part));
        item->system_instructions[0].type = PART_TEXT;
        item->system_instructions[0].content = str_at(c, instructions);
        item->system_instruction_count = 1;
    }
    oa_msg_builder b;
    if (is_type(c, input, JSON_STRING)) {
        msg_builder_init(c, &b, STR_LIT("user"), 1);
        msg_builder_string(c, &b, PART_TEXT, input);
        item->input_messages = arena_calloc(c->arena, 1, sizeof(msg));
        item->input_messages[0] = b.m;
        item->input_message_count = 1;
        return;
    }
    int count = json_count(c->doc, input);
    if (!is_type(c, input, JSON_ARRAY) || count <= 0) return;
    item->input_messages = arena_calloc(c->arena, (size_t)count, sizeof(msg));
    for (int entry = json_first(c->doc, input), i = 0; i < count;
         entry = json_next(c->doc, entry), i++) {
        bt_str role = STR_NULL;
        int content = json_get(c->doc, entry, "content");
        msg_builder_init(c, &b, STR_NULL, 1 + (size_t)json_count(c->doc, content));
        if (!add_responses_item(c, &b, entry, &role)) continue;
        b.m.role = role;
        item->input_messages[item->input_message_count++] = b.m;
    }
}

/* Read a Completions prompt (the body's member): a string, or an array whose strings each
 * become a user message (token-id prompts carry no text and are skipped). */
static void read_prompt(const oa_ctx *c, int prompt, bt_item *item) {
    bool single = is_type(c, prompt, JSON_STRING);
    int count = single ? 1 : json_count(c->doc, prompt);
    if (count <= 0 || (!single && !is_type(c, prompt, JSON_ARRAY))) return;
    item->input_messages = arena_calloc(c->arena, (size_t)count, sizeof(msg));
    int entry = single ? prompt : json_first(c->doc, prompt);
    for (int i = 0; i < count; entry = json_next(c->doc, entry), i++) {
        if (!is_type(c, entry, JSON_STRING)) continue;
        oa_msg_builder b;
        msg_builder_init(c, &b, STR_LIT("user"), 1);
        msg_builder_string(c, &b, PART_TEXT, entry);
        item->input_messages[item->input_message_count++] = b.m;
    }
}

/* Count the inputs of an embeddings or moderations request (the body's member input): a
 * string (or a token array) is one; an array of strings, token arrays or multimodal parts
 * is one per element. */
static void count_inputs(const oa_ctx *c, int input, bt_item *item) {
    if (!present(c, input)) return;
    bool many = is_type(c, input, JSON_ARRAY) && json_count(c->doc, input) > 0 &&
                !is_type(c, json_first(c->doc, input), JSON_NUMBER);
    item->input_count.has = true;
    item->input_count.value = many ? json_count(c->doc, input) : 1;
}

/* Read a moderations input (the body's member): a string, an array of strings, or an
 * array of multimodal parts ({type:"text", text} / {type:"image_url", image_url:{url}}),
 * as one user message. */
static void read_moderation_input(const oa_ctx *c, int input, bt_item *item) {
    oa_msg_builder b;
    msg_builder_init(c, &b, STR_LIT("user"), 1 + (size_t)json_count(c->doc, input));
    if (is_type(c, input, JSON_STRING)) msg_builder_string(c, &b, PART_TEXT, input);
    for (int entry = json_first(c->doc, input), i = 0;
         is_type(c, input, JSON_ARRAY) && i < json_count(c->doc, input);
         entry = json_next(c->doc, entry), i++) {
        if (is_type(c, entry, JSON_STRING)) msg_builder_string(c, &b, PART_TEXT, entry);
        else add_content_part(c, &b, entry);
    }
    if (!b.m.part_count) return;
    item->input_messages = arena_calloc(c->arena, 1, sizeof(msg));
    item->input_messages[0] = b.m;
    item->input_message_count = 1;
}

/* provider_ops.request_custom_id: the custom_id of an input line. */
static int openai_request_custom_id(const json_doc *doc, int root, arena_t *a,
                                    bt_str *custom_id, char *reason) {
    oa_ctx c = {doc, a, reason};
    if (!is_type(&c, root, JSON_OBJECT)) return fail(reason, "record is not a JSON object");
    return custom_id_at(&c, json_get(doc, root, "custom_id"), custom_id);
}

/* provider_ops.parse_request: fill the request side of item (expected zeroed on that side)
 * from an input line {custom_id, method, url, body}. */
static int openai_parse_request(const json_doc *doc, int root, arena_t *a, bt_item *item,
                                char *reason) {
    enum { CUSTOM_ID, URL, BODY, KEY_COUNT };
    static const json_key keys[KEY_COUNT] = {
        [CUSTOM_ID] = JSON_KEY("custom_id"), [URL] = JSON_KEY("url"), [BODY] = JSON_KEY("body"),
    };
    oa_ctx c = {doc, a, reason};
    if (!is_type(&c, root, JSON_OBJECT)) return fail(reason, "record is not a JSON object");
    int record[KEY_COUNT];
    json_get_fields(doc, root, keys, KEY_COUNT, record);
    bt_str custom_id;
    if (custom_id_at(&c, record[CUSTOM_ID], &custom_id) < 0) return -1;
    int url = record[URL];
    bt_str endpoint;
    if (present(&c, url)) {
        if (!is_type(&c, url, JSON_STRING)) return fail(reason, "\"url\" is not a string");
        endpoint = str_at(&c, url);
    } else {
        /* {custom_id, body} with no url (the request shape of Respan's log_batch_results,
         * which the bindings take): a body with messages can only be a chat completion. */
        int body = record[BODY];
        if (!is_type(&c, body, JSON_OBJECT) || json_get(doc, body, "messages") < 0)
            return fail(reason, "missing \"url\"");
        endpoint = STR_LIT("/v1/chat/completions");
    }
    oa_endpoint kind;
    if (classify_url(endpoint, &kind) < 0) {
        int quoted = endpoint.len > OA_QUOTE_MAX ? OA_QUOTE_MAX : (int)endpoint.len;
        return fail(reason, "unsupported endpoint \"%.*s%s\"", quoted, endpoint.ptr,
                    endpoint.len > OA_QUOTE_MAX ? "..." : "");
    }
    int body = record[BODY];
    if (!present(&c, body)) return fail(reason, "missing \"body\"");
    if (!is_type(&c, body, JSON_OBJECT)) return fail(reason, "\"body\" is not an object");
    int field[BODY_KEY_COUNT];
    json_get_fields(doc, body, body_keys, BODY_KEY_COUNT, field);
    if (read_parameters(&c, field, item) < 0) return -1;

    item->provider = "openai";
    item->custom_id = custom_id;
    item->endpoint = endpoint;
    item->operation = operation_of(kind);
    item->request_model = str_at(&c, field[BODY_MODEL]);
    switch (kind) {
    case OA_CHAT: read_chat_messages(&c, field[BODY_MESSAGES], item); break;
    case OA_RESPONSES:
        read_responses_input(&c, field[BODY_INSTRUCTIONS], field[BODY_INPUT], item);
        break;
    case OA_COMPLETIONS: read_prompt(&c, field[BODY_PROMPT], item); break;
    case OA_EMBEDDINGS:
        if (int_at(&c, field[BODY_DIMENSIONS], "dimensions", &item->embedding_dimensions) < 0)
            return -1;
        count_inputs(&c, field[BODY_INPUT], item);
        break;
    case OA_MODERATIONS:
        read_moderation_input(&c, field[BODY_INPUT], item);
        count_inputs(&c, field[BODY_INPUT], item);
        break;
    }
    read_tools(&c, field[BODY_TOOLS], item);
    int tool_choice = field[BODY_TOOL_CHOICE];
    if (is_type(&c, tool_choice, JSON_STRING)) {
        item->tool_choice = str_at(&c, tool_choice);
    } else if (is_type(&c, tool_choice, JSON_OBJECT)) {
        item->tool_choice = raw_at(&c, tool_choice);
        item->tool_choice_is_json = true;
    }
    item->request_body = raw_at(&c, body);
    item->has_request = true;
    return 0;
}

/* ---- results ---- */

/* When the request did not tell the endpoint, learn it from the response body's object
 * type (its members object and data). An endpoint already set is kept. */
static void infer_endpoint(const oa_ctx *c, int object, int data_tok, bt_item *item) {
    if (item->endpoint.len) return;
    if (str_is(c, object, "chat.completion")) {
        item->endpoint = STR_LIT("/v1/chat/completions");
        item->operation = "chat";
    } else if (str_is(c, object, "response")) {
        item->endpoint = STR_LIT("/v1/responses");
        item->operation = "chat";
    } else if (str_is(c, object, "text_completion")) {
        item->endpoint = STR_LIT("/v1/completions");
        item->operation = "text_completion";
    } else if (str_is(c, object, "list")) {
        int data = typed(c, data_tok, JSON_ARRAY);
        if (str_is(c, json_get(c->doc, json_first(c->doc, data), "object"), "embedding")) {
            item->endpoint = STR_LIT("/v1/embeddings");
            item->operation = "embeddings";
        }
    }
}

/* Read usage (the body's member): Chat/Completions/Embeddings names (prompt_tokens,
 * completion_tokens, *_tokens_details) or the Responses ones (input_tokens, output_tokens,
 * ...). */
static int read_usage(const oa_ctx *c, int usage_tok, bt_item *item) {
    enum { PROMPT, INPUT, COMPLETION, OUTPUT, PROMPT_DETAILS, INPUT_DETAILS, COMPLETION_DETAILS,
           OUTPUT_DETAILS, KEY_COUNT };
    static const json_key keys[KEY_COUNT] = {
        [PROMPT] = JSON_KEY("prompt_tokens"),
        [INPUT] = JSON_KEY("input_tokens"),
        [COMPLETION] = JSON_KEY("completion_tokens"),
        [OUTPUT] = JSON_KEY("output_tokens"),
        [PROMPT_DETAILS] = JSON_KEY("prompt_tokens_details"),
        [INPUT_DETAILS] = JSON_KEY("input_tokens_details"),
        [COMPLETION_DETAILS] = JSON_KEY("completion_tokens_details"),
        [OUTPUT_DETAILS] = JSON_KEY("output_tokens_details"),
    };
    int usage = typed(c, usage_tok, JSON_OBJECT);
    if (usage < 0) return 0;
    int field[KEY_COUNT];
    json_get_fields(c->doc, usage, keys, KEY_COUNT, field);
    int prompt_details = typed(c, field[PROMPT_DETAILS], JSON_OBJECT);
    int input_details = typed(c, field[INPUT_DETAILS], JSON_OBJECT);
    int completion_details = typed(c, field[COMPLETION_DETAILS], JSON_OBJECT);
    int output_details = typed(c, field[OUTPUT_DETAILS], JSON_OBJECT);
    if (int_at(c, field[PROMPT], "usage.prompt_tokens", &item->input_tokens) < 0 ||
        (!item->input_tokens.has &&
         int_at(c, field[INPUT], "usage.input_tokens", &item->input_tokens) < 0) ||
        int_at(c, field[COMPLETION], "usage.completion_tokens", &item->output_tokens) < 0 ||
        (!item->output_tokens.has &&
         int_at(c, field[OUTPUT], "usage.output_tokens", &item->output_tokens) < 0) ||
        int_field(c, prompt_details, "cached_tokens", "usage.prompt_tokens_details.cached_tokens",
                  &item->cache_read_tokens) < 0 ||
        (!item->cache_read_tokens.has &&
         int_field(c, input_details, "cached_tokens", "usage.input_tokens_details.cached_tokens",
                   &item->cache_read_tokens) < 0) ||
        int_field(c, completion_details, "reasoning_tokens",
                  "usage.completion_tokens_details.reasoning_tokens",
                  &item->reasoning_tokens) < 0 ||
        (!item->reasoning_tokens.has &&
         int_field(c, output_details, "reasoning_tokens",
                   "usage.output_tokens_details.reasoning_tokens", &item->reasoning_tokens) < 0))
        return -1;
    return 0;
}

/* Read Chat / Completions choices: one output message per choice (a message object, or a
 * completion's text) with its finish_reason; finish_reasons lists the non-null ones. */
static void read_choices(const oa_ctx *c, int choices, bt_item *item) {
    int count = json_count(c->doc, choices);
    if (count <= 0) return;
    item->output_messages = arena_calloc(c->arena, (size_t)count, sizeof(msg));
    item->finish_reasons = arena_calloc(c->arena, (size_t)count, sizeof(bt_str));
    enum { MESSAGE, TEXT, FINISH_REASON, CONTENT_FILTER, KEY_COUNT };
    static const json_key keys[KEY_COUNT] = {
        [MESSAGE] = JSON_KEY("message"),
        [TEXT] = JSON_KEY("text"),
        [FINISH_REASON] = JSON_KEY("finish_reason"),
        [CONTENT_FILTER] = JSON_KEY("content_filter_results"),
    };
    for (int choice = json_first(c->doc, choices), i = 0; i < count;
         choice = json_next(c->doc, choice), i++) {
        if (!is_type(c, choice, JSON_OBJECT)) continue;
        int field[KEY_COUNT];
        json_get_fields(c->doc, choice, keys, KEY_COUNT, field);
        int message = typed(c, field[MESSAGE], JSON_OBJECT);
        msg out;
        if (message >= 0) {
            out = chat_message(c, message, STR_LIT("assistant"));
        } else {
            oa_msg_builder b;
            msg_builder_init(c, &b, STR_LIT("assistant"), 1);
            int text = field[TEXT];
            if (is_type(c, text, JSON_STRING)) msg_builder_string(c, &b, PART_TEXT, text);
            out = b.m;
        }
        if (!item->output_filter.len && present(c, field[CONTENT_FILTER]))
            item->output_filter = raw_at(c, field[CONTENT_FILTER]);
        out.finish_reason = str_at(c, field[FINISH_REASON]);
        if (out.finish_reason.len)
            item->finish_reasons[item->finish_reason_count++] = out.finish_reason;
        item->output_messages[item->output_message_count++] = out;
    }
}

/* The finish reason of a Responses body, which has none of its own: the value Chat
 * Completions gives for the same ending (docs/design.md "OpenAI Responses finish
 * reasons"): an incomplete response gives incomplete_details.reason as Chat names it
 * (max_output_tokens -> length, content_filter); an output that asks for a function or
 * custom tool call -> tool_calls; a completed message -> stop. Empty when none applies (a
 * failed response, an output of reasoning only). The response's own status is not a finish
 * reason. */
static bt_str responses_finish_reason(const oa_ctx *c, int status, int incomplete, int output) {
    if (str_is(c, status, "incomplete")) {
        int why = json_get(c->doc, incomplete, "reason");
        if (str_is(c, why, "max_output_tokens")) return STR_LIT("length");
        return str_at(c, why);
    }
    if (str_is(c, status, "failed")) return STR_NULL;
    bool message = false;
    for (int entry = json_first(c->doc, output), i = 0; i < json_count(c->doc, output);
         entry = json_next(c->doc, entry), i++) {
        int type = json_get(c->doc, entry, "type");
        if (str_is(c, type, "function_call") || str_is(c, type, "custom_tool_call"))
            return STR_LIT("tool_calls");
        if (str_is(c, type, "message") && str_is(c, json_get(c->doc, entry, "status"), "completed"))
            message = true;
    }
    return message ? STR_LIT("stop") : STR_NULL;
}

/* Read a Responses `output`: one assistant message holding every item's parts (text,
 * refusals, function calls, reasoning summaries), with the finish reason of
 * responses_finish_reason (from the body's members status and incomplete_details). */
static void read_responses_output(const oa_ctx *c, int status, int incomplete, int output,
                                  bt_item *item) {
    oa_msg_builder b;
    msg_builder_init(c, &b, STR_LIT("assistant"), (size_t)json_count(c->doc, output) + 1);
    for (int entry = json_first(c->doc, output), i = 0; i < json_count(c->doc, output);
         entry = json_next(c->doc, entry), i++) {
        bt_str role_unused = STR_NULL;
        add_responses_item(c, &b, entry, &role_unused);
    }
    b.m.finish_reason = responses_finish_reason(c, status, incomplete, output);
    item->output_messages = arena_calloc(c->arena, 1, sizeof(msg));
    item->output_messages[0] = b.m;
    item->output_message_count = 1;
    if (b.m.finish_reason.len) {
        item->finish_reasons = arena_calloc(c->arena, 1, sizeof(bt_str));
        item->finish_reasons[0] = b.m.finish_reason;
        item->finish_reason_count = 1;
    }
}

/* Read a moderations body's results: one output message holding each result ({flagged,
 * categories, category_scores, ...}) as a JSON part; no finish reason. */
static void read_moderation_results(const oa_ctx *c, int results, bt_item *item) {
    oa_msg_builder b;
    msg_builder_init(c, &b, STR_LIT("assistant"), (size_t)json_count(c->doc, results) + 1);
    for (int result = json_first(c->doc, results), i = 0; i < json_count(c->doc, results);
         result = json_next(c->doc, result), i++) {
        msg_part *part = msg_builder_add(c, &b, PART_TEXT);
        part->content = raw_at(c, result);
        part->content_is_json = true;
    }
    item->output_messages = arena_calloc(c->arena, 1, sizeof(msg));
    item->output_messages[0] = b.m;
    item->output_message_count = 1;
}

/* Fill the response side of a successful (2xx) result from its body. */
static int read_success_body(const oa_ctx *c, int body, bt_item *item) {
    enum { ID, OBJECT, CREATED, MODEL, CHOICES, USAGE, OUTPUT, STATUS, CREATED_AT, COMPLETED_AT,
           ERROR, DATA, INCOMPLETE_DETAILS, SERVICE_TIER, SYSTEM_FINGERPRINT, RESULTS,
           PROMPT_FILTER, KEY_COUNT };
    static const json_key keys[KEY_COUNT] = {
        [ID] = JSON_KEY("id"),
        [OBJECT] = JSON_KEY("object"),
        [CREATED] = JSON_KEY("created"),
        [MODEL] = JSON_KEY("model"),
        [CHOICES] = JSON_KEY("choices"),
        [USAGE] = JSON_KEY("usage"),
        [OUTPUT] = JSON_KEY("output"),
        [STATUS] = JSON_KEY("status"),
        [CREATED_AT] = JSON_KEY("created_at"),
        [COMPLETED_AT] = JSON_KEY("completed_at"),
        [ERROR] = JSON_KEY("error"),
        [DATA] = JSON_KEY("data"),
        [INCOMPLETE_DETAILS] = JSON_KEY("incomplete_details"),
        [SERVICE_TIER] = JSON_KEY("service_tier"),
        [SYSTEM_FINGERPRINT] = JSON_KEY("system_fingerprint"),
        [RESULTS] = JSON_KEY("results"),
        [PROMPT_FILTER] = JSON_KEY("prompt_filter_results"),
    };
    int field[KEY_COUNT];
    json_get_fields(c->doc, body, keys, KEY_COUNT, field);
    item->result = RESULT_SUCCEEDED;
    item->service_tier = str_at(c, field[SERVICE_TIER]);
    item->system_fingerprint = str_at(c, field[SYSTEM_FINGERPRINT]);
    if (present(c, field[PROMPT_FILTER])) item->prompt_filter = raw_at(c, field[PROMPT_FILTER]);
    item->response_body = raw_at(c, body);
    item->response_id = str_at(c, field[ID]);
    item->response_model = str_at(c, field[MODEL]);
    infer_endpoint(c, field[OBJECT], field[DATA], item);
    int results = typed(c, field[RESULTS], JSON_ARRAY);
    if (results >= 0 && !item->endpoint.len) {
        item->endpoint = STR_LIT("/v1/moderations");
        item->operation = "moderation";
    }
    /* The item's own end: chat/completions/embeddings give `created` (the response was made
     * then); Responses gives `created_at` and, when finished, `completed_at`, which wins. */
    if (time_at(c, field[CREATED], "response.body.created", &item->end_time_ns) < 0 ||
        time_at(c, field[CREATED_AT], "response.body.created_at", &item->end_time_ns) < 0 ||
        time_at(c, field[COMPLETED_AT], "response.body.completed_at", &item->end_time_ns) < 0)
        return -1;
    if (read_usage(c, field[USAGE], item) < 0) return -1;
    int choices = typed(c, field[CHOICES], JSON_ARRAY);
    int output = typed(c, field[OUTPUT], JSON_ARRAY);
    if (choices >= 0) read_choices(c, choices, item);
    else if (results >= 0) read_moderation_results(c, results, item);
    else if (output >= 0)
        read_responses_output(c, field[STATUS], field[INCOMPLETE_DETAILS], output, item);
    /* A Responses body can report its own failure: status "failed" with error{code, message}. */
    if (output >= 0 && str_is(c, field[STATUS], "failed")) {
        int error = typed(c, field[ERROR], JSON_OBJECT);
        item->result = RESULT_ERRORED;
        item->error_type = str_field(c, error, "code");
        if (!item->error_type.len) item->error_type = STR_LIT("failed");
        item->error_message = str_field(c, error, "message");
    }
    return 0;
}

/* Fill an errored result from a non-2xx response: error.code (a string), else error.type,
 * else "http_<status>"; the message is error.message (error being the body itself when it
 * is a flat error). */
static void read_http_error(const oa_ctx *c, int body, int64_t status, bt_item *item) {
    item->result = RESULT_ERRORED;
    item->http_status = status;
    if (is_type(c, body, JSON_OBJECT)) {
        item->response_body = raw_at(c, body);
        int error = typed_field(c, body, "error", JSON_OBJECT);
        /* Mistral (and other compatible servers) answer a flat {object:"error", message,
         * type, code}. */
        if (error < 0 && present(c, json_get(c->doc, body, "message"))) error = body;
        item->error_type = str_field(c, error, "code");
        if (!item->error_type.len) item->error_type = str_field(c, error, "type");
        item->error_message = str_field(c, error, "message");
        /* Mistral's validation failure (422) has message {detail:[{type, loc, msg}]}: its
         * JSON text is the message, so the reason is kept. */
        int message = typed_field(c, error, "message", JSON_OBJECT);
        if (message >= 0) item->error_message = raw_at(c, message);
        /* Azure OpenAI's refusal by its content filter: error.innererror
         * {code: "ResponsibleAIPolicyViolation", content_filter_result}. */
        int inner = typed_field(c, error, "innererror", JSON_OBJECT);
        int filter = json_get(c->doc, inner, "content_filter_result");
        if (present(c, filter)) item->prompt_filter = raw_at(c, filter);
    }
    if (!item->error_type.len) {
        char code[32];
        int len = snprintf(code, sizeof code, "http_%" PRId64, status);
        item->error_type = arena_strndup(c->arena, code, (size_t)len);
    }
}

/* Fill the item from a response object {status_code, request_id, body}. */
static int read_response(const oa_ctx *c, int response, bt_item *item) {
    enum { STATUS_CODE, BODY, REQUEST_ID, KEY_COUNT };
    static const json_key keys[KEY_COUNT] = {
        [STATUS_CODE] = JSON_KEY("status_code"), [BODY] = JSON_KEY("body"),
        [REQUEST_ID] = JSON_KEY("request_id"),
    };
    int field[KEY_COUNT];
    json_get_fields(c->doc, response, keys, KEY_COUNT, field);
    item->request_id = str_at(c, field[REQUEST_ID]);
    int status_tok = field[STATUS_CODE];
    int64_t status;
    if (!present(c, status_tok)) return fail(c->reason, "missing \"response.status_code\"");
    if (!is_type(c, status_tok, JSON_NUMBER) || json_int64(c->doc, status_tok, &status) < 0)
        return fail(c->reason, "\"response.status_code\" is not an integer");
    int body = field[BODY];
    if (status < 200 || status > 299) {
        read_http_error(c, body, status, item);
        return 0;
    }
    if (!present(c, body)) return fail(c->reason, "missing \"response.body\"");
    if (!is_type(c, body, JSON_OBJECT))
        return fail(c->reason, "\"response.body\" is not an object");
    return read_success_body(c, body, item);
}

/* Fill the item from a top-level error {code, message} (response null): batch_expired and
 * batch_cancelled end the item as expired / canceled, anything else as errored. */
static void read_line_error(const oa_ctx *c, int error, bt_item *item) {
    int code = json_get(c->doc, error, "code");
    if (str_is(c, code, "batch_expired")) item->result = RESULT_EXPIRED;
    else if (str_is(c, code, "batch_cancelled")) item->result = RESULT_CANCELED;
    else item->result = RESULT_ERRORED;
    item->error_type = str_at(c, code);
    item->error_message = str_field(c, error, "message");
}

/* provider_ops.parse_result: fill the response side of item from an output or error line
 * {id, custom_id, response, error}. */
static int openai_parse_result(const json_doc *doc, int root, arena_t *a, bt_item *item,
                               char *reason) {
    enum { CUSTOM_ID, RESPONSE, ERROR, ID, KEY_COUNT };
    static const json_key keys[KEY_COUNT] = {
        [CUSTOM_ID] = JSON_KEY("custom_id"),
        [RESPONSE] = JSON_KEY("response"),
        [ERROR] = JSON_KEY("error"),
        [ID] = JSON_KEY("id"),
    };
    oa_ctx c = {doc, a, reason};
    if (!is_type(&c, root, JSON_OBJECT)) return fail(reason, "record is not a JSON object");
    int record[KEY_COUNT];
    json_get_fields(doc, root, keys, KEY_COUNT, record);
    bt_str custom_id;
    if (custom_id_at(&c, record[CUSTOM_ID], &custom_id) < 0) return -1;
    item->provider = "openai";
    item->custom_id = custom_id;
    item->has_response = true;
    item->line_id = str_at(&c, record[ID]);
    int response = record[RESPONSE];
    int error = record[ERROR];
    if (present(&c, response)) {
        if (!is_type(&c, response, JSON_OBJECT))
            return fail(reason, "\"response\" is not an object");
        return read_response(&c, response, item);
    }
    if (present(&c, error)) {
        if (!is_type(&c, error, JSON_OBJECT)) return fail(reason, "\"error\" is not an object");
        read_line_error(&c, error, item);
        return 0;
    }
    return fail(reason, "neither \"response\" nor \"error\" is set");
}

/* ---- the batch object ---- */

/* Map an OpenAI batch status to a batch_state and the timestamp field that ends it
 * (NULL while running). Returns -1 for an unknown status. */
static int classify_status(bt_str status, batch_state *state, const char **terminal_key) {
    static const struct { const char *status; batch_state state; const char *terminal_key; }
        statuses[] = {
            {"validating", BATCH_RUNNING, NULL},    {"in_progress", BATCH_RUNNING, NULL},
            {"finalizing", BATCH_RUNNING, NULL},    {"cancelling", BATCH_RUNNING, NULL},
            {"completed", BATCH_COMPLETED, "completed_at"},
            {"failed", BATCH_FAILED, "failed_at"},  {"expired", BATCH_EXPIRED, "expired_at"},
            {"cancelled", BATCH_CANCELLED, "cancelled_at"},
        };
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        if (str_eq_c(status, statuses[i].status)) {
            *state = statuses[i].state;
            *terminal_key = statuses[i].terminal_key;
            return 0;
        }
    }
    return -1;
}

/* The batch's metadata object (the member metadata, or -1) as compact JSON in the arena,
 * without batchtrace's own key batchtrace_ctx (the context token, already read); empty
 * when nothing else is in it. OpenAI metadata values are strings; any value is copied as
 * its raw text. */
static bt_str metadata_without_context(const oa_ctx *c, int metadata) {
    size_t size = 2; /* the braces */
    int kept = 0;
    for (int pass = 0; pass < 2; pass++) {
        char *out = NULL;
        size_t used = 0;
        if (pass == 1) {
            if (!kept) return STR_NULL;
            out = arena_alloc(c->arena, size + 1);
            out[used++] = '{';
        }
        int members = 0;
        for (int key = json_first(c->doc, metadata), i = 0; i < json_count(c->doc, metadata);
             key = json_next(c->doc, json_next(c->doc, key)), i++) {
            if (str_is(c, key, "batchtrace_ctx")) continue;
            bt_str raw_key = raw_at(c, key), raw_value = raw_at(c, json_next(c->doc, key));
            size_t comma = members++ ? 1 : 0;
            if (pass == 0) {
                size += comma + raw_key.len + 1 + raw_value.len;
                kept++;
                continue;
            }
            if (comma) out[used++] = ',';
            memcpy(out + used, raw_key.ptr, raw_key.len);
            used += raw_key.len;
            out[used++] = ':';
            memcpy(out + used, raw_value.ptr, raw_value.len);
            used += raw_value.len;
        }
        if (pass == 1) {
            out[used++] = '}';
            out[used] = '\0';
            return (bt_str){out, used};
        }
    }
    return STR_NULL;
}

/* Read a failed batch's errors.data (the array, or -1) into batch->errors: {code, message,
 * param, line} each, all optional. A line that is not a strict integer rejects the
 * object. */
static int read_batch_errors(const oa_ctx *c, int data, batch_info *batch) {
    int count = json_count(c->doc, data);
    if (count <= 0) return 0;
    batch->errors = arena_calloc(c->arena, (size_t)count, sizeof *batch->errors);
    for (int entry = json_first(c->doc, data), i = 0; i < count;
         entry = json_next(c->doc, entry), i++) {
        if (!is_type(c, entry, JSON_OBJECT)) continue;
        batch_error *error = &batch->errors[batch->error_count++];
        error->code = str_field(c, entry, "code");
        error->message = str_field(c, entry, "message");
        error->param = str_field(c, entry, "param");
        if (int_field(c, entry, "line", "errors.data[].line", &error->line) < 0) return -1;
    }
    return 0;
}

/* provider_ops.parse_batch: read a batch object {id, object:"batch", endpoint, status,
 * *_at timestamps, request_counts, metadata}. */
static int openai_parse_batch(const json_doc *doc, int root, arena_t *a, batch_info *batch,
                              char *reason) {
    oa_ctx c = {doc, a, reason};
    if (!is_type(&c, root, JSON_OBJECT)) return fail(reason, "record is not a JSON object");
    int object = json_get(doc, root, "object");
    if (is_type(&c, object, JSON_STRING) && !str_is(&c, object, "batch"))
        return fail(reason, "\"object\" is not \"batch\"");
    int id = json_get(doc, root, "id");
    if (!present(&c, id)) return fail(reason, "missing \"id\"");
    if (!is_type(&c, id, JSON_STRING)) return fail(reason, "\"id\" is not a string");
    int status = json_get(doc, root, "status");
    if (!present(&c, status)) return fail(reason, "missing \"status\"");
    if (!is_type(&c, status, JSON_STRING)) return fail(reason, "\"status\" is not a string");

    batch->provider = "openai";
    batch->id = str_at(&c, id);
    batch->status = str_at(&c, status);
    const char *terminal_key = NULL;
    if (classify_status(batch->status, &batch->state, &terminal_key) < 0) {
        int quoted = batch->status.len > OA_QUOTE_MAX ? OA_QUOTE_MAX : (int)batch->status.len;
        return fail(reason, "unknown batch status \"%.*s\"", quoted, batch->status.ptr);
    }
    batch->endpoint = str_field(&c, root, "endpoint");
    if (time_field(&c, root, "created_at", "created_at", &batch->created_ns) < 0) return -1;
    if (terminal_key &&
        time_field(&c, root, terminal_key, terminal_key, &batch->terminal_ns) < 0)
        return -1;
    int counts = typed_field(&c, root, "request_counts", JSON_OBJECT);
    if (int_field(&c, counts, "total", "request_counts.total", &batch->count_total) < 0 ||
        int_field(&c, counts, "completed", "request_counts.completed",
                  &batch->count_succeeded) < 0 ||
        int_field(&c, counts, "failed", "request_counts.failed", &batch->count_errored) < 0)
        return -1;
    /* Every completed request has a line in the output file and every failed one in the
     * error file (batch_expired and batch_cancelled lines count as failed). */
    if (batch->count_succeeded.has && batch->count_errored.has &&
        batch->count_succeeded.value >= 0 && batch->count_errored.value >= 0 &&
        batch->count_succeeded.value <= INT64_MAX - batch->count_errored.value) {
        batch->count_with_line.has = true;
        batch->count_with_line.value = batch->count_succeeded.value + batch->count_errored.value;
    }
    int metadata = typed_field(&c, root, "metadata", JSON_OBJECT);
    batch->context_token = str_field(&c, metadata, "batchtrace_ctx");
    batch->metadata = metadata_without_context(&c, metadata);
    batch->input_file_id = str_field(&c, root, "input_file_id");
    batch->output_file_id = str_field(&c, root, "output_file_id");
    batch->error_file_id = str_field(&c, root, "error_file_id");
    batch->model = str_field(&c, root, "model");
    /* The batch's own usage (Responses-style names), beside the items' sums. */
    int usage = typed_field(&c, root, "usage", JSON_OBJECT);
    int input_details = typed_field(&c, usage, "input_tokens_details", JSON_OBJECT);
    int output_details = typed_field(&c, usage, "output_tokens_details", JSON_OBJECT);
    if (int_field(&c, usage, "input_tokens", "usage.input_tokens", &batch->usage_input_tokens) <
            0 ||
        int_field(&c, usage, "output_tokens", "usage.output_tokens",
                  &batch->usage_output_tokens) < 0 ||
        int_field(&c, input_details, "cached_tokens", "usage.input_tokens_details.cached_tokens",
                  &batch->usage_cache_read_tokens) < 0 ||
        int_field(&c, output_details, "reasoning_tokens",
                  "usage.output_tokens_details.reasoning_tokens",
                  &batch->usage_reasoning_tokens) < 0)
        return -1;
    int errors = typed_field(&c, root, "errors", JSON_OBJECT);
    return read_batch_errors(&c, typed_field(&c, errors, "data", JSON_ARRAY), batch);
}

/* ---- recognising records ---- */

/* True when obj has member key (of any value, null included). */
static bool has_key(const json_doc *doc, int obj, const char *key) {
    return json_get(doc, obj, key) >= 0;
}

/* provider_ops.is_request: {custom_id, method, url, body}; a body alone, or custom_id
 * with url or method, is enough. */
static bool openai_is_request(const json_doc *doc, int root) {
    if (has_key(doc, root, "body")) return true;
    return has_key(doc, root, "custom_id") &&
           (has_key(doc, root, "url") || has_key(doc, root, "method"));
}

/* provider_ops.is_result: {id, custom_id, response, error}, where response or error may
 * be null (never an echoed request: Vertex AI's lines have one). */
static bool openai_is_result(const json_doc *doc, int root) {
    return has_key(doc, root, "custom_id") && !has_key(doc, root, "request") &&
           (has_key(doc, root, "response") || has_key(doc, root, "error"));
}

/* provider_ops.is_batch: {object:"batch", ...}, or an endpoint with request_counts.total. */
static bool openai_is_batch(const json_doc *doc, int root) {
    if (json_string_eq(doc, json_get(doc, root, "object"), "batch")) return true;
    return has_key(doc, root, "endpoint") &&
           has_key(doc, json_get(doc, root, "request_counts"), "total");
}

/* True when s (a url or an endpoint) is a path without OpenAI's "/v1/" prefix: Azure
 * OpenAI's batch form ("/chat/completions"). */
static bool path_without_v1(const json_doc *doc, int tok) {
    bt_str raw = json_raw(doc, tok); /* with its quotes */
    return json_type_of(doc, tok) == JSON_STRING && raw.len > 2 && raw.ptr[1] == '/' &&
           !(raw.len >= 6 && memcmp(raw.ptr + 1, "/v1/", 4) == 0);
}

/* provider_ops.is_request of Azure OpenAI: an OpenAI input line whose url has no /v1. */
static bool azure_is_request(const json_doc *doc, int root) {
    return openai_is_request(doc, root) && path_without_v1(doc, json_get(doc, root, "url"));
}

/* provider_ops.is_result of Azure OpenAI: an OpenAI result line whose body carries the
 * content filter's results (prompt_filter_results, or a choice's
 * content_filter_results). */
static bool azure_is_result(const json_doc *doc, int root) {
    if (!openai_is_result(doc, root)) return false;
    int body = json_get(doc, json_get(doc, root, "response"), "body");
    int choice = json_first(doc, json_get(doc, body, "choices"));
    return json_get(doc, body, "prompt_filter_results") >= 0 ||
           json_get(doc, choice, "content_filter_results") >= 0;
}

/* provider_ops.is_batch of Azure OpenAI: an OpenAI batch object whose endpoint has no /v1. */
static bool azure_is_batch(const json_doc *doc, int root) {
    return openai_is_batch(doc, root) && path_without_v1(doc, json_get(doc, root, "endpoint"));
}

const provider_ops provider_openai = {
    .name = "openai",
    .format = "openai",
    .is_request = openai_is_request,
    .is_result = openai_is_result,
    .is_batch = openai_is_batch,
    .request_custom_id = openai_request_custom_id,
    .parse_request = openai_parse_request,
    .parse_result = openai_parse_result,
    .parse_batch = openai_parse_batch,
};

/* Azure OpenAI batches: OpenAI's format, deployment names as models, urls without /v1,
 * the content filter's results; recognised by those marks. */
const provider_ops provider_azure_openai = {
    .name = "azure.ai.openai",
    .alias = "azure",
    .format = "openai",
    .is_request = azure_is_request,
    .is_result = azure_is_result,
    .is_batch = azure_is_batch,
    .request_custom_id = openai_request_custom_id,
    .parse_request = openai_parse_request,
    .parse_result = openai_parse_result,
    .parse_batch = openai_parse_batch,
};

/* An OpenAI-compatible batch API: OpenAI's records under another provider name, never
 * recognised from the records (they are OpenAI's): named by --provider. */
#define OPENAI_COMPATIBLE(variable, provider_name, short_name)                                 \
    const provider_ops provider_##variable = {                                                \
        .name = provider_name,                                                                \
        .alias = short_name,                                                                  \
        .format = "openai",                                                                   \
        .request_custom_id = openai_request_custom_id,                                        \
        .parse_request = openai_parse_request,                                                \
        .parse_result = openai_parse_result,                                                  \
        .parse_batch = openai_parse_batch,                                                    \
    }

OPENAI_COMPATIBLE(groq, "groq", NULL);
OPENAI_COMPATIBLE(xai, "x_ai", "xai");
OPENAI_COMPATIBLE(together, "together", NULL);
OPENAI_COMPATIBLE(fireworks, "fireworks", NULL);
OPENAI_COMPATIBLE(openrouter, "openrouter", NULL);
