/* Anthropic Message Batches: request records ({custom_id, params}), result lines
 * ({custom_id, result:{type, message|error}}) and the message batch object, turned into
 * normalized items (providers/item.h). Strings an item holds borrow the record's text when
 * they can (no escapes; raw JSON values) and are unescaped into the caller's arena when not;
 * arrays live in the arena. The json_doc is only read, and objects read for several keys are
 * scanned once (json_get_fields). Optional fields that are null, absent or of
 * the wrong type are ignored; integers given as numbers are strict (json_int64): a fraction
 * or an out-of-range value rejects the record rather than being clamped. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "providers/anthropic.h"
#include "providers/provider.h"
#include "providers/record.h"
#include "util/timeutil.h"

#define ANTHROPIC_PROVIDER "anthropic"
#define ANTHROPIC_ENDPOINT "/v1/messages"
#define ANTHROPIC_OPERATION "chat"
#define ANTHROPIC_CUSTOM_ID_MAX 64

/* How many bytes of an offending value a reason quotes before cutting it with "...". */
enum { QUOTE_MAX_BYTES = 96 };

/* A growing array of message parts in the arena. */
typedef struct part_list {
    msg_part *items; /* the parts (arena) */
    size_t count;    /* parts in use */
    size_t cap;      /* parts allocated */
} part_list;

/* Write s into out (out_size bytes) as a reason-safe excerpt to show inside double quotes:
 * '"' and '\' are escaped, control bytes become \n, \t, \r or \u00XX, and past
 * QUOTE_MAX_BYTES of input (or out_size of output) the excerpt stops at a UTF-8 character
 * boundary and ends in "...". Always NUL-terminates. */
static void quote_excerpt(bt_str s, char *out, size_t out_size) {
    size_t used = 0;
    size_t limit = s.len;
    bool cut = false;
    if (limit > QUOTE_MAX_BYTES) {
        limit = QUOTE_MAX_BYTES;
        while (limit > 0 && ((unsigned char)s.ptr[limit] & 0xC0) == 0x80) limit--;
        cut = true;
    }
    for (size_t i = 0; i < limit; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        char piece[8];
        if (c == '"' || c == '\\') snprintf(piece, sizeof piece, "\\%c", c);
        else if (c == '\n') snprintf(piece, sizeof piece, "\\n");
        else if (c == '\t') snprintf(piece, sizeof piece, "\\t");
        else if (c == '\r') snprintf(piece, sizeof piece, "\\r");
        else if (c < 0x20 || c == 0x7F) snprintf(piece, sizeof piece, "\\u%04x", c);
        else {
            piece[0] = (char)c;
            piece[1] = '\0';
        }
        size_t piece_len = strlen(piece);
        if (used + piece_len + 4 >= out_size) { /* keep room for "..." and the NUL */
            cut = true;
            break;
        }
        memcpy(out + used, piece, piece_len);
        used += piece_len;
    }
    if (cut) {
        memcpy(out + used, "...", 3);
        used += 3;
    }
    out[used] = '\0';
}

/* True when id matches ^[a-zA-Z0-9_-]{1,64}$, the custom_id rule of the Batches API. */
static bool custom_id_valid(bt_str id) {
    if (id.len < 1 || id.len > ANTHROPIC_CUSTOM_ID_MAX) return false;
    for (size_t i = 0; i < id.len; i++) {
        char c = id.ptr[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

/* Read the required string at tok, the member named key, into *out (borrowed or in the
 * arena); fails when it is absent, null or not a string. */
static int required_string_at(const json_doc *doc, int tok, const char *key, arena_t *a,
                              bt_str *out, char *reason) {
    json_type type = json_type_of(doc, tok);
    if (type == JSON_NONE || type == JSON_NULL) return fail(reason, "missing \"%s\"", key);
    if (json_string_borrowed(doc, tok, a, out) != 0)
        return fail(reason, "\"%s\" is not a string", key);
    return 0;
}

/* Read the required string member key of obj, as required_string_at. */
static int read_required_string(const json_doc *doc, int obj, const char *key, arena_t *a,
                                bt_str *out, char *reason) {
    return required_string_at(doc, json_get(doc, obj, key), key, a, out, reason);
}

/* Check that tok, the member named path, is present and an object. */
static int require_object(const json_doc *doc, int tok, const char *path, char *reason) {
    json_type type = json_type_of(doc, tok);
    if (type == JSON_NONE || type == JSON_NULL) return fail(reason, "missing \"%s\"", path);
    if (type != JSON_OBJECT) return fail(reason, "\"%s\" is not an object", path);
    return 0;
}

/* Read the required string custom_id at tok (the record's member) into *out. Fails when it
 * is absent, not a string, or (when validate) breaks the Batches API pattern; the reason
 * then quotes the id with control characters escaped. */
static int custom_id_at(const json_doc *doc, int tok, arena_t *a, bool validate, bt_str *out,
                        char *reason) {
    if (required_string_at(doc, tok, "custom_id", a, out, reason) != 0) return -1;
    if (validate && !custom_id_valid(*out)) {
        char quoted[QUOTE_MAX_BYTES * 2];
        quote_excerpt(*out, quoted, sizeof quoted);
        return fail(reason, "invalid custom_id \"%s\": must match ^[a-zA-Z0-9_-]{1,64}$", quoted);
    }
    return 0;
}

/* The optional string at tok (a member's value, or -1), borrowed or in the arena; empty when
 * absent, null or not a string. */
static bt_str string_at(const json_doc *doc, int tok, arena_t *a) {
    bt_str s = STR_NULL;
    if (json_string_borrowed(doc, tok, a, &s) != 0) return STR_NULL;
    return s;
}

/* The optional string member key of obj, as string_at. */
static bt_str opt_string(const json_doc *doc, int obj, const char *key, arena_t *a) {
    return string_at(doc, json_get(doc, obj, key), a);
}

/* The raw JSON text of tok, borrowed from the record's text (empty for an absent token). */
static bt_str raw_text(const json_doc *doc, int tok) {
    if (tok < 0) return STR_NULL;
    return json_raw(doc, tok);
}

/* Read the optional strict integer at tok (a member's value, or -1) into *out (has stays
 * false when it is absent, null or not a number). A number that is not a JSON integer in
 * int64 range (a fraction, an exponent, an overflow) rejects the record; path names the
 * field in the reason ("params.max_tokens"). */
static int int_at(const json_doc *doc, int tok, const char *path, opt_i64 *out, char *reason) {
    if (json_type_of(doc, tok) != JSON_NUMBER) return 0;
    int64_t value;
    if (json_int64(doc, tok, &value) != 0) {
        char quoted[QUOTE_MAX_BYTES * 2];
        quote_excerpt(json_raw(doc, tok), quoted, sizeof quoted);
        return fail(reason, "\"%s\" is not an integer in int64 range: %s", path, quoted);
    }
    out->has = true;
    out->value = value;
    return 0;
}

/* Read the optional strict integer member key of obj, as int_at. */
static int opt_int(const json_doc *doc, int obj, const char *key, const char *path,
                   opt_i64 *out, char *reason) {
    return int_at(doc, json_get(doc, obj, key), path, out, reason);
}

/* Read the optional number at tok (a member's value, or -1) into *out; ignored unless it is
 * a number. */
static void double_at(const json_doc *doc, int tok, opt_f64 *out) {
    if (json_type_of(doc, tok) != JSON_NUMBER) return;
    double value;
    if (json_double(doc, tok, &value) != 0) return;
    out->has = true;
    out->value = value;
}

/* Append a zeroed part of the given type to list and return it (arena-owned). */
static msg_part *part_push(part_list *list, arena_t *a, part_type type) {
    if (list->count == list->cap) {
        size_t new_cap = list->cap ? list->cap * 2 : 4;
        list->items = arena_grow(a, list->items, list->count, new_cap, sizeof *list->items);
        list->cap = new_cap;
    }
    msg_part *part = &list->items[list->count++];
    memset(part, 0, sizeof *part);
    part->type = type;
    return part;
}

/* Append one PART_TEXT per text block of a content array, or one for a plain string;
 * other values add nothing. Used for system prompts and document content sources. */
static void append_text_content(const json_doc *doc, int content, arena_t *a, part_list *list) {
    json_type type = json_type_of(doc, content);
    if (type == JSON_STRING) {
        msg_part_set_string(part_push(list, a, PART_TEXT), doc, content, a);
        return;
    }
    if (type != JSON_ARRAY) return;
    int count = json_count(doc, content);
    int block = json_first(doc, content);
    enum { TYPE, TEXT, KEY_COUNT };
    static const json_key keys[KEY_COUNT] = {[TYPE] = JSON_KEY("type"), [TEXT] = JSON_KEY("text")};
    for (int i = 0; i < count; i++, block = json_next(doc, block)) {
        int field[KEY_COUNT];
        json_get_fields(doc, block, keys, KEY_COUNT, field);
        if (!json_string_eq(doc, field[TYPE], "text")) continue;
        if (json_type_of(doc, field[TEXT]) != JSON_STRING) continue;
        msg_part_set_string(part_push(list, a, PART_TEXT), doc, field[TEXT], a);
    }
}

/* Append the part for an image or document block (modality "image" or "document") from
 * its source: base64 data -> blob, url -> uri, plain text or a content source (documents)
 * -> text parts. Unknown sources (e.g. a Files API file_id) add nothing. */
static void append_media(const json_doc *doc, int block, const char *modality, arena_t *a,
                         part_list *list) {
    int source = json_get(doc, block, "source");
    int source_type = json_get(doc, source, "type");
    if (json_string_eq(doc, source_type, "base64")) {
        msg_part *part = part_push(list, a, PART_BLOB);
        part->modality = str_c(modality);
        part->mime_type = opt_string(doc, source, "media_type", a);
        part->content = opt_string(doc, source, "data", a);
    } else if (json_string_eq(doc, source_type, "url")) {
        msg_part *part = part_push(list, a, PART_URI);
        part->modality = str_c(modality);
        part->uri = opt_string(doc, source, "url", a);
    } else if (json_string_eq(doc, source_type, "text")) {
        append_text_content(doc, json_get(doc, source, "data"), a, list);
    } else if (json_string_eq(doc, source_type, "content")) {
        append_text_content(doc, json_get(doc, source, "content"), a, list);
    }
}

/* Append the part(s) for one content block of a request message or a response message.
 * Unknown block types are skipped. */
static void append_block(const json_doc *doc, int block, arena_t *a, part_list *list) {
    enum { TYPE, TEXT, ID, NAME, INPUT, TOOL_USE_ID, CONTENT, THINKING, KEY_COUNT };
    static const json_key keys[KEY_COUNT] = {
        [TYPE] = JSON_KEY("type"),
        [TEXT] = JSON_KEY("text"),
        [ID] = JSON_KEY("id"),
        [NAME] = JSON_KEY("name"),
        [INPUT] = JSON_KEY("input"),
        [TOOL_USE_ID] = JSON_KEY("tool_use_id"),
        [CONTENT] = JSON_KEY("content"),
        [THINKING] = JSON_KEY("thinking"),
    };
    int field[KEY_COUNT];
    json_get_fields(doc, block, keys, KEY_COUNT, field);
    int type = field[TYPE];
    if (json_string_eq(doc, type, "text")) {
        if (json_type_of(doc, field[TEXT]) == JSON_STRING)
            msg_part_set_string(part_push(list, a, PART_TEXT), doc, field[TEXT], a);
    } else if (json_string_eq(doc, type, "image")) {
        append_media(doc, block, "image", a, list);
    } else if (json_string_eq(doc, type, "document")) {
        append_media(doc, block, "document", a, list);
    } else if (json_string_eq(doc, type, "tool_use") ||
               json_string_eq(doc, type, "server_tool_use")) {
        msg_part *part = part_push(list, a, PART_TOOL_CALL);
        part->id = string_at(doc, field[ID], a);
        part->name = string_at(doc, field[NAME], a);
        int input = field[INPUT];
        if (input >= 0) {
            part->arguments = raw_text(doc, input);
            part->arguments_is_json = true;
        }
    } else if (json_string_eq(doc, type, "tool_result") ||
               json_string_eq(doc, type, "web_search_tool_result")) {
        msg_part *part = part_push(list, a, PART_TOOL_CALL_RESPONSE);
        part->id = string_at(doc, field[TOOL_USE_ID], a);
        int content = field[CONTENT];
        json_type content_type = json_type_of(doc, content);
        if (content_type == JSON_STRING) {
            msg_part_set_string(part, doc, content, a);
        } else if (content_type == JSON_ARRAY || content_type == JSON_OBJECT) {
            part->content = raw_text(doc, content);
            part->content_is_json = true;
        }
    } else if (json_string_eq(doc, type, "thinking")) {
        msg_part_set_string(part_push(list, a, PART_REASONING), doc, field[THINKING], a);
    } else if (json_string_eq(doc, type, "redacted_thinking")) {
        part_push(list, a, PART_REASONING)->redacted = true; /* encrypted: no content */
    }
}

/* The parts of a message content: a string is one text part, an array of blocks gives one
 * part per known block. The parts live in the arena; *count receives how many. */
static msg_part *content_parts(const json_doc *doc, int content, arena_t *a, size_t *count) {
    part_list list = {NULL, 0, 0};
    json_type type = json_type_of(doc, content);
    if (type == JSON_STRING) {
        msg_part_set_string(part_push(&list, a, PART_TEXT), doc, content, a);
    } else if (type == JSON_ARRAY) {
        int block_count = json_count(doc, content);
        list.cap = (size_t)block_count;
        list.items = block_count ? arena_calloc(a, list.cap, sizeof *list.items) : NULL;
        int block = json_first(doc, content);
        for (int i = 0; i < block_count; i++, block = json_next(doc, block))
            append_block(doc, block, a, &list);
    }
    *count = list.count;
    return list.items;
}

/* Fill item->input_messages from params.messages (the member messages, [{role, content}]);
 * non-object entries are skipped. */
static void read_messages(const json_doc *doc, int messages, arena_t *a, bt_item *item) {
    enum { ROLE, CONTENT, KEY_COUNT };
    static const json_key keys[KEY_COUNT] = {
        [ROLE] = JSON_KEY("role"), [CONTENT] = JSON_KEY("content"),
    };
    if (json_type_of(doc, messages) != JSON_ARRAY) return;
    int count = json_count(doc, messages);
    if (count == 0) return;
    item->input_messages = arena_calloc(a, (size_t)count, sizeof *item->input_messages);
    int entry = json_first(doc, messages);
    for (int i = 0; i < count; i++, entry = json_next(doc, entry)) {
        if (json_type_of(doc, entry) != JSON_OBJECT) continue;
        msg *message = &item->input_messages[item->input_message_count++];
        int field[KEY_COUNT];
        json_get_fields(doc, entry, keys, KEY_COUNT, field);
        message->role = string_at(doc, field[ROLE], a);
        message->parts = content_parts(doc, field[CONTENT], a, &message->part_count);
    }
}

/* Fill item->tools from params.tools: client tools ({name, description, input_schema},
 * type "custom" or none) get type "function"; server tools ({type:"web_search_20250305",
 * name, ...}) keep their type. Non-object entries are skipped. */
static void read_tools(const json_doc *doc, int tools, arena_t *a, bt_item *item) {
    if (json_type_of(doc, tools) != JSON_ARRAY) return;
    int count = json_count(doc, tools);
    if (count == 0) return;
    item->tools = arena_calloc(a, (size_t)count, sizeof *item->tools);
    int entry = json_first(doc, tools);
    for (int i = 0; i < count; i++, entry = json_next(doc, entry)) {
        if (json_type_of(doc, entry) != JSON_OBJECT) continue;
        tool_def *tool = &item->tools[item->tool_count++];
        tool->type = opt_string(doc, entry, "type", a);
        if (!str_some(tool->type) || str_eq_c(tool->type, "custom"))
            tool->type = STR_LIT("function");
        tool->name = opt_string(doc, entry, "name", a);
        tool->description = opt_string(doc, entry, "description", a);
        int schema = json_get(doc, entry, "input_schema");
        if (json_type_of(doc, schema) == JSON_OBJECT) tool->parameters = raw_text(doc, schema);
    }
}

/* Fill item->stop_sequences from params.stop_sequences (the member stops; string elements
 * only). */
static void read_stop_sequences(const json_doc *doc, int stops, arena_t *a, bt_item *item) {
    if (json_type_of(doc, stops) != JSON_ARRAY) return;
    int count = json_count(doc, stops);
    if (count == 0) return;
    item->stop_sequences = arena_calloc(a, (size_t)count, sizeof *item->stop_sequences);
    int entry = json_first(doc, stops);
    for (int i = 0; i < count; i++, entry = json_next(doc, entry)) {
        bt_str stop;
        if (json_string_borrowed(doc, entry, a, &stop) == 0)
            item->stop_sequences[item->stop_sequence_count++] = stop;
    }
}

/* Set the fields every Anthropic item shares. */
static void set_identity(bt_item *item) {
    item->provider = ANTHROPIC_PROVIDER;
    item->endpoint = STR_LIT(ANTHROPIC_ENDPOINT);
    item->operation = ANTHROPIC_OPERATION;
}

/* provider_ops.request_custom_id: the validated custom_id of a {custom_id, params} record. */
static int anthropic_request_custom_id(const json_doc *doc, int root, arena_t *a,
                                       bt_str *custom_id, char *reason) {
    if (json_type_of(doc, root) != JSON_OBJECT) return fail(reason, "record is not a JSON object");
    return custom_id_at(doc, json_get(doc, root, "custom_id"), a, true, custom_id, reason);
}

/* See anthropic.h: the request side of item from a Messages request body (params). */
int anthropic_read_params(const json_doc *doc, int params, arena_t *a, bt_item *item,
                          char *reason) {
    enum { MODEL, MESSAGES, MAX_TOKENS, SYSTEM, TOOLS, TEMPERATURE, TOP_P, TOP_K, STOP_SEQUENCES,
           TOOL_CHOICE, PARAM_COUNT };
    static const json_key param_keys[PARAM_COUNT] = {
        [MODEL] = JSON_KEY("model"),
        [MESSAGES] = JSON_KEY("messages"),
        [MAX_TOKENS] = JSON_KEY("max_tokens"),
        [SYSTEM] = JSON_KEY("system"),
        [TOOLS] = JSON_KEY("tools"),
        [TEMPERATURE] = JSON_KEY("temperature"),
        [TOP_P] = JSON_KEY("top_p"),
        [TOP_K] = JSON_KEY("top_k"),
        [STOP_SEQUENCES] = JSON_KEY("stop_sequences"),
        [TOOL_CHOICE] = JSON_KEY("tool_choice"),
    };
    if (require_object(doc, params, "params", reason) != 0) return -1;
    int param[PARAM_COUNT];
    json_get_fields(doc, params, param_keys, PARAM_COUNT, param);

    set_identity(item);
    item->has_request = true;
    item->request_model = string_at(doc, param[MODEL], a);
    if (int_at(doc, param[MAX_TOKENS], "params.max_tokens", &item->max_tokens, reason) != 0 ||
        int_at(doc, param[TOP_K], "params.top_k", &item->top_k, reason) != 0)
        return -1;
    double_at(doc, param[TEMPERATURE], &item->temperature);
    double_at(doc, param[TOP_P], &item->top_p);
    read_stop_sequences(doc, param[STOP_SEQUENCES], a, item);

    part_list system = {NULL, 0, 0};
    append_text_content(doc, param[SYSTEM], a, &system);
    item->system_instructions = system.items;
    item->system_instruction_count = system.count;

    read_messages(doc, param[MESSAGES], a, item);
    read_tools(doc, param[TOOLS], a, item);
    if (json_type_of(doc, param[TOOL_CHOICE]) == JSON_OBJECT) { /* {"type":"auto"|"any"|...} */
        item->tool_choice = raw_text(doc, param[TOOL_CHOICE]);
        item->tool_choice_is_json = true;
    }
    item->request_body = raw_text(doc, params);
    return 0;
}

/* provider_ops.parse_request: the request side of item from a {custom_id, params} record. */
static int anthropic_parse_request(const json_doc *doc, int root, arena_t *a, bt_item *item,
                                   char *reason) {
    if (json_type_of(doc, root) != JSON_OBJECT) return fail(reason, "record is not a JSON object");
    if (custom_id_at(doc, json_get(doc, root, "custom_id"), a, true, &item->custom_id, reason) !=
        0)
        return -1;
    return anthropic_read_params(doc, json_get(doc, root, "params"), a, item, reason);
}

/* Fill the usage of item from message.usage (the member usage). input_tokens includes the
 * cache reads and writes (SPEC section 5), and is set only when input_tokens itself is
 * given. */
static int read_usage(const json_doc *doc, int usage, bt_item *item, char *reason) {
    enum { INPUT, OUTPUT, CACHE_READ, CACHE_CREATION, KEY_COUNT };
    static const json_key keys[KEY_COUNT] = {
        [INPUT] = JSON_KEY("input_tokens"),
        [OUTPUT] = JSON_KEY("output_tokens"),
        [CACHE_READ] = JSON_KEY("cache_read_input_tokens"),
        [CACHE_CREATION] = JSON_KEY("cache_creation_input_tokens"),
    };
    if (json_type_of(doc, usage) != JSON_OBJECT) return 0;
    int field[KEY_COUNT];
    json_get_fields(doc, usage, keys, KEY_COUNT, field);
    opt_i64 uncached = {false, 0};
    if (int_at(doc, field[INPUT], "result.message.usage.input_tokens", &uncached, reason) != 0 ||
        int_at(doc, field[OUTPUT], "result.message.usage.output_tokens", &item->output_tokens,
               reason) != 0 ||
        int_at(doc, field[CACHE_READ], "result.message.usage.cache_read_input_tokens",
               &item->cache_read_tokens, reason) != 0 ||
        int_at(doc, field[CACHE_CREATION], "result.message.usage.cache_creation_input_tokens",
               &item->cache_creation_tokens, reason) != 0)
        return -1;
    if (!uncached.has) return 0;
    int64_t total = uncached.value;
    const opt_i64 *cached[2] = {&item->cache_read_tokens, &item->cache_creation_tokens};
    for (int i = 0; i < 2; i++) {
        if (!cached[i]->has) continue;
        int64_t add = cached[i]->value;
        if ((add > 0 && total > INT64_MAX - add) || (add < 0 && total < INT64_MIN - add))
            return fail(reason, "\"result.message.usage\": input token sum overflows int64");
        total += add;
    }
    item->input_tokens.has = true;
    item->input_tokens.value = total;
    return 0;
}

/* See anthropic.h: the response side of item from a succeeded result's message (its
 * member). */
int anthropic_read_message(const json_doc *doc, int message, arena_t *a, bt_item *item,
                           char *reason) {
    enum { ID, MODEL, ROLE, CONTENT, STOP_REASON, USAGE, KEY_COUNT };
    static const json_key keys[KEY_COUNT] = {
        [ID] = JSON_KEY("id"),
        [MODEL] = JSON_KEY("model"),
        [ROLE] = JSON_KEY("role"),
        [CONTENT] = JSON_KEY("content"),
        [STOP_REASON] = JSON_KEY("stop_reason"),
        [USAGE] = JSON_KEY("usage"),
    };
    if (require_object(doc, message, "result.message", reason) != 0) return -1;
    int field[KEY_COUNT];
    json_get_fields(doc, message, keys, KEY_COUNT, field);
    if (read_usage(doc, field[USAGE], item, reason) != 0) return -1;

    item->result = RESULT_SUCCEEDED;
    item->response_id = string_at(doc, field[ID], a);
    item->response_model = string_at(doc, field[MODEL], a);

    msg *output = arena_calloc(a, 1, sizeof *output);
    output->role = string_at(doc, field[ROLE], a);
    if (!str_some(output->role)) output->role = STR_LIT("assistant"); /* the API's only role */
    output->parts = content_parts(doc, field[CONTENT], a, &output->part_count);
    output->finish_reason = string_at(doc, field[STOP_REASON], a);
    item->output_messages = output;
    item->output_message_count = 1;
    if (str_some(output->finish_reason)) {
        item->finish_reasons = &output->finish_reason;
        item->finish_reason_count = 1;
    }
    item->response_body = raw_text(doc, message);
    return 0;
}

/* Fill the error of item from an errored result. result.error (the member error) is an
 * error response {type:"error", error:{type, message}}; a flat {type, message} is accepted
 * too. Without a usable type, error_type is the result type "errored". */
static void read_errored(const json_doc *doc, int error, arena_t *a, bt_item *item) {
    item->result = RESULT_ERRORED;
    int inner = json_get(doc, error, "error");
    if (json_type_of(doc, inner) == JSON_OBJECT) error = inner;
    item->error_type = opt_string(doc, error, "type", a);
    item->error_message = opt_string(doc, error, "message", a);
    if (!str_some(item->error_type)) item->error_type = STR_LIT("errored");
}

/* provider_ops.parse_result: the response side of item from one results line. Anthropic
 * gives no per-item timestamp, so end_time_ns stays 0. */
static int anthropic_parse_result(const json_doc *doc, int root, arena_t *a, bt_item *item,
                                  char *reason) {
    enum { CUSTOM_ID, RESULT, KEY_COUNT };
    static const json_key keys[KEY_COUNT] = {
        [CUSTOM_ID] = JSON_KEY("custom_id"), [RESULT] = JSON_KEY("result"),
    };
    enum { TYPE, MESSAGE, ERROR, RESULT_KEY_COUNT };
    static const json_key result_keys[RESULT_KEY_COUNT] = {
        [TYPE] = JSON_KEY("type"), [MESSAGE] = JSON_KEY("message"), [ERROR] = JSON_KEY("error"),
    };
    if (json_type_of(doc, root) != JSON_OBJECT) return fail(reason, "record is not a JSON object");
    int record[KEY_COUNT];
    json_get_fields(doc, root, keys, KEY_COUNT, record);
    if (custom_id_at(doc, record[CUSTOM_ID], a, false, &item->custom_id, reason) != 0) return -1;
    int result = record[RESULT];
    if (require_object(doc, result, "result", reason) != 0) return -1;
    int field[RESULT_KEY_COUNT];
    json_get_fields(doc, result, result_keys, RESULT_KEY_COUNT, field);
    int type = field[TYPE];
    json_type type_json_type = json_type_of(doc, type);
    if (type_json_type == JSON_NONE || type_json_type == JSON_NULL)
        return fail(reason, "missing \"result.type\"");
    if (type_json_type != JSON_STRING) return fail(reason, "\"result.type\" is not a string");

    set_identity(item);
    item->has_response = true;
    if (json_string_eq(doc, type, "succeeded"))
        return anthropic_read_message(doc, field[MESSAGE], a, item, reason);
    if (json_string_eq(doc, type, "errored")) {
        read_errored(doc, field[ERROR], a, item);
    } else if (json_string_eq(doc, type, "canceled")) {
        item->result = RESULT_CANCELED;
        item->error_type = STR_LIT("canceled");
        item->error_message = STR_LIT("request canceled before processing");
    } else if (json_string_eq(doc, type, "expired")) {
        item->result = RESULT_EXPIRED;
        item->error_type = STR_LIT("expired");
        item->error_message = STR_LIT("request expired before processing");
    } else {
        bt_str type_name;
        json_string_borrowed(doc, type, a, &type_name);
        char quoted[QUOTE_MAX_BYTES * 2];
        quote_excerpt(type_name, quoted, sizeof quoted);
        return fail(reason, "unknown result type \"%s\"", quoted);
    }
    return 0;
}

/* Read the optional RFC 3339 timestamp member key of obj into *out_ns (0 when absent, null
 * or not a string); *present (when not NULL) says whether it was a string. A string that
 * is not RFC 3339 rejects the batch object. */
static int opt_time(const json_doc *doc, int obj, const char *key, arena_t *a, int64_t *out_ns,
                    bool *present, char *reason) {
    *out_ns = 0;
    if (present) *present = false;
    bt_str text;
    if (json_get_string(doc, obj, key, a, &text) != 0) return 0;
    if (time_parse_rfc3339(text.ptr, text.len, out_ns) != 0) {
        char quoted[QUOTE_MAX_BYTES * 2];
        quote_excerpt(text, quoted, sizeof quoted);
        return fail(reason, "\"%s\" is not an RFC 3339 timestamp: \"%s\"", key, quoted);
    }
    if (present) *present = true;
    return 0;
}

/* Read request_counts{processing, succeeded, errored, canceled, expired} into batch;
 * count_total is the sum of those given (set when at least one is), count_with_line the sum
 * of all but processing (the results hold a line for every request that ended, whatever
 * its fate). */
static int read_request_counts(const json_doc *doc, int root, batch_info *batch, char *reason) {
    int counts = json_get(doc, root, "request_counts");
    if (json_type_of(doc, counts) != JSON_OBJECT) return 0;
    static const struct {
        const char *key;  /* member of request_counts */
        const char *path; /* its name in reasons */
        size_t offset;    /* where it goes in batch_info */
    } fields[] = {
        {"processing", "request_counts.processing", offsetof(batch_info, count_processing)},
        {"succeeded", "request_counts.succeeded", offsetof(batch_info, count_succeeded)},
        {"errored", "request_counts.errored", offsetof(batch_info, count_errored)},
        {"canceled", "request_counts.canceled", offsetof(batch_info, count_canceled)},
        {"expired", "request_counts.expired", offsetof(batch_info, count_expired)},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        opt_i64 *count = (opt_i64 *)((char *)batch + fields[i].offset);
        if (opt_int(doc, counts, fields[i].key, fields[i].path, count, reason) != 0) return -1;
        if (!count->has) continue;
        if (count->value < 0)
            return fail(reason, "\"%s\" is negative: %lld", fields[i].path,
                        (long long)count->value);
        if (batch->count_total.has && count->value > INT64_MAX - batch->count_total.value)
            return fail(reason, "\"request_counts\": total overflows int64");
        batch->count_total.value += count->value;
        batch->count_total.has = true;
        if (count == &batch->count_processing) continue;
        /* Every request that is no longer processing has its line in the results. */
        batch->count_with_line.value += count->value;
        batch->count_with_line.has = true;
    }
    return 0;
}

/* provider_ops.parse_batch: a message batch object (processing_status in_progress,
 * canceling or ended; RFC 3339 times). */
static int anthropic_parse_batch(const json_doc *doc, int root, arena_t *a, batch_info *batch,
                                 char *reason) {
    if (json_type_of(doc, root) != JSON_OBJECT) return fail(reason, "record is not a JSON object");
    if (read_required_string(doc, root, "id", a, &batch->id, reason) != 0 ||
        read_required_string(doc, root, "processing_status", a, &batch->status, reason) != 0)
        return -1;

    batch->provider = ANTHROPIC_PROVIDER;
    batch->endpoint = STR_LIT(ANTHROPIC_ENDPOINT);
    int64_t cancel_initiated_ns;
    bool cancel_initiated;
    if (read_request_counts(doc, root, batch, reason) != 0 ||
        opt_time(doc, root, "created_at", a, &batch->created_ns, NULL, reason) != 0 ||
        opt_time(doc, root, "ended_at", a, &batch->terminal_ns, NULL, reason) != 0 ||
        opt_time(doc, root, "cancel_initiated_at", a, &cancel_initiated_ns, &cancel_initiated,
                 reason) != 0)
        return -1;

    if (str_eq_c(batch->status, "in_progress") || str_eq_c(batch->status, "canceling")) {
        batch->state = BATCH_RUNNING;
    } else if (str_eq_c(batch->status, "ended")) {
        /* Anthropic has only "ended" for every way a batch can finish, so the state is
         * inferred: a cancellation was requested -> cancelled; else some requests hit the
         * 24-hour limit -> expired; else completed. The state only says how the batch
         * ended (the task span's status): the results still hold a line for every request,
         * canceled and expired ones included, so an item without a line is missing from
         * the results given, never canceled or expired (docs/design.md "Outcomes"). */
        if (cancel_initiated)
            batch->state = BATCH_CANCELLED;
        else if (batch->count_expired.has && batch->count_expired.value > 0)
            batch->state = BATCH_EXPIRED;
        else
            batch->state = BATCH_COMPLETED;
    } else {
        char quoted[QUOTE_MAX_BYTES * 2];
        quote_excerpt(batch->status, quoted, sizeof quoted);
        return fail(reason, "unknown batch status \"%s\"", quoted);
    }
    return 0;
}

/* provider_ops.is_request: {custom_id, params:{...}}. */
static bool anthropic_is_request(const json_doc *doc, int root) {
    return json_type_of(doc, json_get(doc, root, "params")) == JSON_OBJECT;
}

/* provider_ops.is_result: {custom_id, result:{type, ...}}. */
static bool anthropic_is_result(const json_doc *doc, int root) {
    return json_type_of(doc, json_get(doc, root, "result")) == JSON_OBJECT;
}

/* provider_ops.is_batch: {type:"message_batch", processing_status, ...}. */
static bool anthropic_is_batch(const json_doc *doc, int root) {
    return json_string_eq(doc, json_get(doc, root, "type"), "message_batch") ||
           json_get(doc, root, "processing_status") >= 0;
}

const provider_ops provider_anthropic = {
    .name = ANTHROPIC_PROVIDER,
    .format = ANTHROPIC_PROVIDER,
    .is_request = anthropic_is_request,
    .is_result = anthropic_is_result,
    .is_batch = anthropic_is_batch,
    .request_custom_id = anthropic_request_custom_id,
    .parse_request = anthropic_parse_request,
    .parse_result = anthropic_parse_result,
    .parse_batch = anthropic_parse_batch,
};
