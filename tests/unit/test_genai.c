/* Tests of the genai convention: exact attributes, their order, and the exact message JSON
 * of hand-built OpenAI-like and Anthropic-like items. */
#include <stdlib.h>

#include "conventions/convention.h"
#include "json/json.h"
#include "test.h"
#include "util/arena.h"

/* ---- building items by hand (everything in the test's arena) ---- */

/* A copy of count parts in the arena. */
static msg_part *copy_parts(arena_t *a, const msg_part *parts, size_t count) {
    msg_part *copy = arena_calloc(a, count, sizeof *copy);
    memcpy(copy, parts, count * sizeof *copy);
    return copy;
}

/* A message whose parts are copied into the arena. */
static msg make_msg(arena_t *a, const char *role, const char *finish_reason,
                    const msg_part *parts, size_t count) {
    msg message = {str_c(role), copy_parts(a, parts, count), count, str_c(finish_reason)};
    return message;
}

/* A copy of count messages in the arena. */
static msg *copy_msgs(arena_t *a, const msg *messages, size_t count) {
    msg *copy = arena_calloc(a, count, sizeof *copy);
    memcpy(copy, messages, count * sizeof *copy);
    return copy;
}

/* A copy of count strings in the arena. */
static bt_str *copy_strs(arena_t *a, const char *const *strings, size_t count) {
    bt_str *copy = arena_calloc(a, count, sizeof *copy);
    for (size_t i = 0; i < count; i++) copy[i] = arena_strndup(a, strings[i], strlen(strings[i]));
    return copy;
}

#define PARTS(...) (const msg_part[]){__VA_ARGS__}
#define COUNT_OF(type, ...) (sizeof((type[]){__VA_ARGS__}) / sizeof(type))
/* MSG(arena, role, finish_reason, part, ...): a message of the given parts. */
#define MSG(a, role, finish, ...) \
    make_msg((a), (role), (finish), PARTS(__VA_ARGS__), COUNT_OF(const msg_part, __VA_ARGS__))
/* Set the messages array and its count to the given messages. */
#define SET_MSGS(a, messages, count, ...)                                             \
    do {                                                                               \
        (messages) = copy_msgs((a), (const msg[]){__VA_ARGS__},                        \
                               COUNT_OF(const msg, __VA_ARGS__));                      \
        (count) = COUNT_OF(const msg, __VA_ARGS__);                                    \
    } while (0)
/* A string array in the arena, and its length. */
#define STRS(a, ...) copy_strs((a), (const char *const[]){__VA_ARGS__}, \
                               COUNT_OF(const char *const, __VA_ARGS__))
#define STR_COUNT(...) COUNT_OF(const char *const, __VA_ARGS__)

/* A text part (the text is borrowed). */
static msg_part text_part(const char *text) {
    return (msg_part){.type = PART_TEXT, .content = str_c(text)};
}
/* A reasoning (thinking) part. */
static msg_part reasoning_part(const char *text) {
    return (msg_part){.type = PART_REASONING, .content = str_c(text)};
}
/* A tool call; arguments are raw JSON when arguments_is_json. */
static msg_part tool_call_part(const char *id, const char *name, const char *arguments,
                               bool arguments_is_json) {
    return (msg_part){.type = PART_TOOL_CALL, .id = str_c(id), .name = str_c(name),
                      .arguments = str_c(arguments), .arguments_is_json = arguments_is_json};
}
/* A tool result; content is raw JSON when content_is_json. */
static msg_part tool_response_part(const char *id, const char *content, bool content_is_json) {
    return (msg_part){.type = PART_TOOL_CALL_RESPONSE, .id = str_c(id),
                      .content = str_c(content), .content_is_json = content_is_json};
}
/* A file referenced by URI; mime_type may be NULL. */
static msg_part uri_part(const char *modality, const char *mime_type, const char *uri) {
    return (msg_part){.type = PART_URI, .modality = str_c(modality),
                      .mime_type = str_c(mime_type), .uri = str_c(uri)};
}
/* Inline base64 data. */
static msg_part blob_part(const char *modality, const char *mime_type, const char *data) {
    return (msg_part){.type = PART_BLOB, .modality = str_c(modality),
                      .mime_type = str_c(mime_type), .content = str_c(data)};
}

/* An OpenAI chat completion with a tool round trip in its history and tool calls in its
 * output. */
static bt_item chat_item(arena_t *a) {
    bt_item item = {0};
    item.provider = "openai";
    item.operation = "chat";
    item.custom_id = str_c("req-1");
    item.endpoint = str_c("/v1/chat/completions");
    item.has_request = true;
    item.request_model = str_c("gpt-4o-mini");
    item.max_tokens = (opt_i64){true, 256};
    item.temperature = (opt_f64){true, 0.25};
    item.top_p = (opt_f64){true, 0.5};
    item.seed = (opt_i64){true, 42};
    item.frequency_penalty = (opt_f64){true, 0.125};
    item.presence_penalty = (opt_f64){true, -0.5};
    item.choice_count = (opt_i64){true, 1};
    item.stop_sequences = STRS(a, "END", "\n\n");
    item.stop_sequence_count = STR_COUNT("END", "\n\n");
    SET_MSGS(a, item.input_messages, item.input_message_count,
             MSG(a, "system", NULL, text_part("You are terse.")),
             MSG(a, "user", NULL, text_part("Weather in Paris?")),
             MSG(a, "assistant", NULL,
                 tool_call_part("call_1", "get_weather", "{\"city\":\"Paris\"}", false)),
             MSG(a, "tool", NULL, tool_response_part("call_1", "rainy, 57\xC2\xB0" "F", false)));
    item.tools = arena_calloc(a, 1, sizeof *item.tools);
    item.tools[0] = (tool_def){str_c("function"), str_c("get_weather"), str_c("Get the weather"),
                               str_c("{\"type\":\"object\",\"properties\":{\"city\":"
                                     "{\"type\":\"string\"}}}")};
    item.tool_count = 1;

    item.has_response = true;
    item.response_id = str_c("chatcmpl-1");
    item.response_model = str_c("gpt-4o-mini-2024-07-18");
    item.finish_reasons = STRS(a, "tool_calls");
    item.finish_reason_count = 1;
    SET_MSGS(a, item.output_messages, item.output_message_count,
             MSG(a, "assistant", "tool_calls", text_part("Checking."),
                 tool_call_part("call_2", "get_weather", "{\"city\":\"Lyon\"}", true)));
    item.input_tokens = (opt_i64){true, 50};
    item.output_tokens = (opt_i64){true, 20};
    item.cache_read_tokens = (opt_i64){true, 10};
    item.reasoning_tokens = (opt_i64){true, 0};
    item.result = RESULT_SUCCEEDED;
    return item;
}

static const char CHAT_INPUT_JSON[] =
    "[{\"role\":\"system\",\"parts\":[{\"type\":\"text\",\"content\":\"You are terse.\"}]},"
    "{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"Weather in Paris?\"}]},"
    "{\"role\":\"assistant\",\"parts\":[{\"type\":\"tool_call\",\"id\":\"call_1\","
    "\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}]},"
    "{\"role\":\"tool\",\"parts\":[{\"type\":\"tool_call_response\",\"id\":\"call_1\","
    "\"response\":\"rainy, 57\xC2\xB0" "F\"}]}]";
static const char CHAT_OUTPUT_JSON[] =
    "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"Checking.\"},"
    "{\"type\":\"tool_call\",\"id\":\"call_2\",\"name\":\"get_weather\","
    "\"arguments\":{\"city\":\"Lyon\"}}],\"finish_reason\":\"tool_calls\"}]";
static const char CHAT_TOOLS_JSON[] =
    "[{\"type\":\"function\",\"name\":\"get_weather\",\"description\":\"Get the weather\","
    "\"parameters\":{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}]";

/* An Anthropic message with system instructions, an image, a tool round trip, and
 * extended thinking in the output. */
static bt_item anthropic_item(arena_t *a) {
    bt_item item = {0};
    item.provider = "anthropic";
    item.operation = "chat";
    item.custom_id = str_c("q-7");
    item.endpoint = str_c("/v1/messages");
    item.has_request = true;
    item.request_model = str_c("claude-sonnet-4-5");
    item.max_tokens = (opt_i64){true, 1024};
    item.top_k = (opt_i64){true, 5};
    item.system_instructions =
        copy_parts(a, PARTS(text_part("Be precise."), text_part("Cite sources.")), 2);
    item.system_instruction_count = 2;
    SET_MSGS(a, item.input_messages, item.input_message_count,
             MSG(a, "user", NULL, text_part("What is in this image?"),
                 blob_part("image", "image/png", "iVBORw0KGgo="),
                 uri_part("image", NULL, "https://example.com/cat.jpg")),
             MSG(a, "assistant", NULL,
                 tool_call_part("toolu_0", "lookup", "{\"q\":\"cat\"}", true)),
             MSG(a, "user", NULL, tool_response_part("toolu_0", "{\"answer\":42}", true)));
    item.tools = arena_calloc(a, 2, sizeof *item.tools);
    item.tools[0] = (tool_def){STR_NULL, str_c("lookup"), STR_NULL, str_c("{\"type\":\"object\"}")};
    item.tools[1] = (tool_def){str_c("web_search_20250305"), str_c("web_search"), STR_NULL,
                               STR_NULL};
    item.tool_count = 2;

    item.has_response = true;
    item.response_id = str_c("msg_01");
    item.response_model = str_c("claude-sonnet-4-5-20250929");
    item.finish_reasons = STRS(a, "tool_use");
    item.finish_reason_count = 1;
    SET_MSGS(a, item.output_messages, item.output_message_count,
             MSG(a, "assistant", "tool_use", reasoning_part("Let me think\xE2\x80\xA6"),
                 tool_call_part("toolu_1", "lookup", "{\"q\":\"dog\"}", true)));
    item.input_tokens = (opt_i64){true, 120};
    item.output_tokens = (opt_i64){true, 80};
    item.cache_read_tokens = (opt_i64){true, 30};
    item.cache_creation_tokens = (opt_i64){true, 20};
    item.result = RESULT_SUCCEEDED;
    return item;
}

static const char ANTHROPIC_SYSTEM_JSON[] =
    "[{\"type\":\"text\",\"content\":\"Be precise.\"},"
    "{\"type\":\"text\",\"content\":\"Cite sources.\"}]";
static const char ANTHROPIC_INPUT_JSON[] =
    "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"What is in this image?\"},"
    "{\"type\":\"blob\",\"modality\":\"image\",\"mime_type\":\"image/png\","
    "\"content\":\"iVBORw0KGgo=\"},"
    "{\"type\":\"uri\",\"modality\":\"image\",\"uri\":\"https://example.com/cat.jpg\"}]},"
    "{\"role\":\"assistant\",\"parts\":[{\"type\":\"tool_call\",\"id\":\"toolu_0\","
    "\"name\":\"lookup\",\"arguments\":{\"q\":\"cat\"}}]},"
    "{\"role\":\"user\",\"parts\":[{\"type\":\"tool_call_response\",\"id\":\"toolu_0\","
    "\"response\":{\"answer\":42}}]}]";
static const char ANTHROPIC_OUTPUT_JSON[] =
    "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"reasoning\","
    "\"content\":\"Let me think\xE2\x80\xA6\"},"
    "{\"type\":\"tool_call\",\"id\":\"toolu_1\",\"name\":\"lookup\","
    "\"arguments\":{\"q\":\"dog\"}}],\"finish_reason\":\"tool_use\"}]";
static const char ANTHROPIC_TOOLS_JSON[] =
    "[{\"type\":\"function\",\"name\":\"lookup\",\"parameters\":{\"type\":\"object\"}},"
    "{\"type\":\"web_search_20250305\",\"name\":\"web_search\"}]";

/* ---- checking attributes ---- */

/* CHECK_ATTR_*(span, key, expected): the attribute exists with that type and value. */
#define CHECK_ATTR_STR(span, key, expected)                         \
    do {                                                            \
        const span_attr *found_ = span_attr_find((span), (key));    \
        CHECK(found_ != NULL);                                      \
        if (found_) {                                               \
            CHECK_INT(found_->type, ATTR_STRING);                   \
            CHECK_BTSTR(found_->s, (expected));                     \
        }                                                           \
    } while (0)
#define CHECK_ATTR_INT(span, key, expected)                         \
    do {                                                            \
        const span_attr *found_ = span_attr_find((span), (key));    \
        CHECK(found_ != NULL);                                      \
        if (found_) {                                               \
            CHECK_INT(found_->type, ATTR_INT);                      \
            CHECK_INT(found_->i, (expected));                       \
        }                                                           \
    } while (0)
#define CHECK_ATTR_DOUBLE(span, key, expected)                      \
    do {                                                            \
        const span_attr *found_ = span_attr_find((span), (key));    \
        CHECK(found_ != NULL);                                      \
        if (found_) {                                               \
            CHECK_INT(found_->type, ATTR_DOUBLE);                   \
            CHECK(found_->d == (expected));                         \
        }                                                           \
    } while (0)
#define CHECK_ATTR_STRS(span, key, ...)                                             \
    do {                                                                            \
        const span_attr *found_ = span_attr_find((span), (key));                    \
        const char *const expected_[] = {__VA_ARGS__};                              \
        size_t expected_count_ = sizeof expected_ / sizeof expected_[0];            \
        CHECK(found_ != NULL);                                                      \
        if (found_) {                                                               \
            CHECK_INT(found_->type, ATTR_STRING_ARRAY);                             \
            CHECK_INT(found_->array_len, expected_count_);                          \
            for (size_t k_ = 0; k_ < found_->array_len && k_ < expected_count_; k_++) \
                CHECK_BTSTR(found_->array[k_], expected_[k_]);                      \
        }                                                                           \
    } while (0)

/* The span's attribute keys are exactly keys[0..count), in that order. */
static bool keys_are(const span_t *span, const char *const *keys, size_t count) {
    bool same = span->attr_count == count;
    for (size_t i = 0; same && i < count; i++) same = strcmp(span->attrs[i].key, keys[i]) == 0;
    if (!same) {
        fprintf(stderr, "  attribute keys were:");
        for (size_t i = 0; i < span->attr_count; i++) fprintf(stderr, " %s", span->attrs[i].key);
        fprintf(stderr, "\n");
    }
    return same;
}
#define CHECK_KEYS(span, ...) \
    CHECK(keys_are((span), (const char *const[]){__VA_ARGS__}, STR_COUNT(__VA_ARGS__)))

/* True when the string attribute key holds one valid JSON document. */
static bool attr_is_valid_json(const span_t *span, const char *key) {
    const span_attr *attr = span_attr_find(span, key);
    if (!attr || attr->type != ATTR_STRING) return false;
    json_doc doc = JSON_DOC_INIT;
    char reason[256] = "";
    int rc = json_parse(&doc, attr->s.ptr, attr->s.len, reason);
    if (rc != 0) fprintf(stderr, "  %s does not parse: %s\n", key, reason);
    json_doc_free(&doc);
    return rc == 0;
}

/* ---- tests ---- */

TEST(chat_item_has_every_attribute_in_table_order) {
    arena_t a = ARENA_INIT;
    bt_item item = chat_item(&a);
    span_t span;
    span_init(&span, &a);
    convention_ctx ctx = {STR_NULL, false};
    convention_genai.item(&span, &item, &ctx);

    CHECK_KEYS(&span, "gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model",
               "gen_ai.request.max_tokens", "gen_ai.request.temperature", "gen_ai.request.top_p",
               "gen_ai.request.stop_sequences", "gen_ai.request.seed",
               "gen_ai.request.frequency_penalty", "gen_ai.request.presence_penalty",
               "gen_ai.request.choice.count", "gen_ai.response.id", "gen_ai.response.model",
               "gen_ai.response.finish_reasons", "gen_ai.usage.input_tokens",
               "gen_ai.usage.output_tokens", "gen_ai.usage.cache_read.input_tokens",
               "gen_ai.usage.reasoning.output_tokens", "gen_ai.input.messages",
               "gen_ai.output.messages", "gen_ai.tool.definitions");
    CHECK_ATTR_STR(&span, "gen_ai.operation.name", "chat");
    CHECK_ATTR_STR(&span, "gen_ai.provider.name", "openai");
    CHECK_ATTR_STR(&span, "gen_ai.request.model", "gpt-4o-mini");
    CHECK_ATTR_INT(&span, "gen_ai.request.max_tokens", 256);
    CHECK_ATTR_DOUBLE(&span, "gen_ai.request.temperature", 0.25);
    CHECK_ATTR_DOUBLE(&span, "gen_ai.request.top_p", 0.5);
    CHECK_ATTR_STRS(&span, "gen_ai.request.stop_sequences", "END", "\n\n");
    CHECK_ATTR_INT(&span, "gen_ai.request.seed", 42);
    CHECK_ATTR_DOUBLE(&span, "gen_ai.request.frequency_penalty", 0.125);
    CHECK_ATTR_DOUBLE(&span, "gen_ai.request.presence_penalty", -0.5);
    CHECK_ATTR_INT(&span, "gen_ai.request.choice.count", 1);
    CHECK_ATTR_STR(&span, "gen_ai.response.id", "chatcmpl-1");
    CHECK_ATTR_STR(&span, "gen_ai.response.model", "gpt-4o-mini-2024-07-18");
    CHECK_ATTR_STRS(&span, "gen_ai.response.finish_reasons", "tool_calls");
    CHECK_ATTR_INT(&span, "gen_ai.usage.input_tokens", 50);
    CHECK_ATTR_INT(&span, "gen_ai.usage.output_tokens", 20);
    CHECK_ATTR_INT(&span, "gen_ai.usage.cache_read.input_tokens", 10);
    CHECK_ATTR_INT(&span, "gen_ai.usage.reasoning.output_tokens", 0);
    arena_free(&a);
}

TEST(chat_item_message_json_is_exact) {
    arena_t a = ARENA_INIT;
    bt_item item = chat_item(&a);
    span_t span;
    span_init(&span, &a);
    convention_ctx ctx = {STR_NULL, false};
    convention_genai.item(&span, &item, &ctx);

    CHECK_ATTR_STR(&span, "gen_ai.input.messages", CHAT_INPUT_JSON);
    CHECK_ATTR_STR(&span, "gen_ai.output.messages", CHAT_OUTPUT_JSON);
    CHECK_ATTR_STR(&span, "gen_ai.tool.definitions", CHAT_TOOLS_JSON);
    CHECK(span_attr_find(&span, "gen_ai.system_instructions") == NULL);
    arena_free(&a);
}

TEST(anthropic_item_has_system_instructions_thinking_and_blob) {
    arena_t a = ARENA_INIT;
    bt_item item = anthropic_item(&a);
    span_t span;
    span_init(&span, &a);
    convention_ctx ctx = {str_c("msgbatch_1"), false};
    convention_genai.item(&span, &item, &ctx);

    CHECK_KEYS(&span, "gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model",
               "gen_ai.request.max_tokens", "gen_ai.request.top_k", "gen_ai.response.id",
               "gen_ai.response.model", "gen_ai.response.finish_reasons",
               "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens",
               "gen_ai.usage.cache_read.input_tokens", "gen_ai.usage.cache_creation.input_tokens",
               "gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions",
               "gen_ai.tool.definitions");
    CHECK_ATTR_STR(&span, "gen_ai.provider.name", "anthropic");
    /* The registry types top_k as a double. */
    CHECK_ATTR_DOUBLE(&span, "gen_ai.request.top_k", 5.0);
    CHECK_ATTR_INT(&span, "gen_ai.usage.input_tokens", 120);
    CHECK_ATTR_INT(&span, "gen_ai.usage.cache_creation.input_tokens", 20);
    CHECK_ATTR_STRS(&span, "gen_ai.response.finish_reasons", "tool_use");
    CHECK_ATTR_STR(&span, "gen_ai.system_instructions", ANTHROPIC_SYSTEM_JSON);
    CHECK_ATTR_STR(&span, "gen_ai.input.messages", ANTHROPIC_INPUT_JSON);
    CHECK_ATTR_STR(&span, "gen_ai.output.messages", ANTHROPIC_OUTPUT_JSON);
    CHECK_ATTR_STR(&span, "gen_ai.tool.definitions", ANTHROPIC_TOOLS_JSON);
    arena_free(&a);
}

TEST(every_json_attribute_parses) {
    static const char *const json_keys[] = {"gen_ai.input.messages", "gen_ai.output.messages",
                                            "gen_ai.system_instructions",
                                            "gen_ai.tool.definitions"};
    arena_t a = ARENA_INIT;
    bt_item items[2] = {chat_item(&a), anthropic_item(&a)};
    convention_ctx ctx = {STR_NULL, false};
    int parsed = 0;
    for (size_t i = 0; i < 2; i++) {
        span_t span;
        span_init(&span, &a);
        convention_genai.item(&span, &items[i], &ctx);
        for (size_t k = 0; k < 4; k++) {
            if (!span_attr_find(&span, json_keys[k])) continue;
            CHECK(attr_is_valid_json(&span, json_keys[k]));
            parsed++;
        }
    }
    CHECK_INT(parsed, 7); /* chat: 3 (no system instructions), anthropic: 4 */
    arena_free(&a);
}

TEST(errored_item_has_error_type_and_no_response_attributes) {
    arena_t a = ARENA_INIT;
    bt_item item = {0};
    item.provider = "openai";
    item.operation = "chat";
    item.custom_id = str_c("req-9");
    item.has_request = true;
    item.request_model = str_c("gpt-4o");
    SET_MSGS(&a, item.input_messages, item.input_message_count,
             MSG(&a, "user", NULL, text_part("hi")));
    item.has_response = true;
    item.result = RESULT_ERRORED;
    item.error_type = str_c("context_length_exceeded");
    item.error_message = str_c("This model's maximum context length is 128000 tokens.");
    span_t span;
    span_init(&span, &a);
    convention_ctx ctx = {STR_NULL, false};
    convention_genai.item(&span, &item, &ctx);

    CHECK_KEYS(&span, "gen_ai.operation.name", "gen_ai.provider.name", "gen_ai.request.model",
               "gen_ai.input.messages", "error.type");
    CHECK_ATTR_STR(&span, "error.type", "context_length_exceeded");
    CHECK_ATTR_STR(&span, "gen_ai.input.messages",
                   "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"hi\"}]}]");
    arena_free(&a);
}

TEST(failed_item_without_provider_code_uses_result_name_as_error_type) {
    arena_t a = ARENA_INIT;
    bt_item item = {0};
    item.provider = "anthropic";
    item.operation = "chat";
    item.custom_id = str_c("q-1");
    item.result = RESULT_EXPIRED;
    span_t span;
    span_init(&span, &a);
    convention_ctx ctx = {STR_NULL, false};
    convention_genai.item(&span, &item, &ctx);

    CHECK_KEYS(&span, "gen_ai.operation.name", "gen_ai.provider.name", "error.type");
    CHECK_ATTR_STR(&span, "error.type", "expired");
    arena_free(&a);
}

TEST(succeeded_item_has_no_error_type_even_with_stale_error_fields) {
    arena_t a = ARENA_INIT;
    bt_item item = {0};
    item.provider = "openai";
    item.operation = "embeddings";
    item.result = RESULT_SUCCEEDED;
    item.error_type = str_c("ignored");
    span_t span;
    span_init(&span, &a);
    convention_ctx ctx = {STR_NULL, false};
    convention_genai.item(&span, &item, &ctx);

    CHECK_KEYS(&span, "gen_ai.operation.name", "gen_ai.provider.name");
    CHECK_ATTR_STR(&span, "gen_ai.operation.name", "embeddings");
    arena_free(&a);
}

TEST(text_is_escaped_and_round_trips) {
    /* quote, backslash, newline, tab, carriage return, U+0001, U+001F, U+007F (needs no
     * escape), e-acute, CJK, an emoji, and the invalid byte 0xFF (which must become
     * U+FFFD). */
    static const char raw[] =
        "a\"b\\c\nd\te\r\x01\x1F" "f\x7F" "\xC3\xA9\xE6\x97\xA5\xF0\x9F\x98\x80\xFF";
    static const char expected_json[] =
        "[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":"
        "\"a\\\"b\\\\c\\nd\\te\\r\\u0001\\u001ff\x7F\xC3\xA9\xE6\x97\xA5\xF0\x9F\x98\x80"
        "\xEF\xBF\xBD\"}]}]";
    static const char round_tripped[] =
        "a\"b\\c\nd\te\r\x01\x1F" "f\x7F" "\xC3\xA9\xE6\x97\xA5\xF0\x9F\x98\x80\xEF\xBF\xBD";
    arena_t a = ARENA_INIT;
    bt_item item = {0};
    item.provider = "openai";
    item.operation = "chat";
    SET_MSGS(&a, item.input_messages, item.input_message_count,
             MSG(&a, "user", NULL, text_part(raw)));
    span_t span;
    span_init(&span, &a);
    convention_ctx ctx = {STR_NULL, false};
    convention_genai.item(&span, &item, &ctx);

    CHECK_ATTR_STR(&span, "gen_ai.input.messages", expected_json);
    const span_attr *attr = span_attr_find(&span, "gen_ai.input.messages");
    CHECK(attr != NULL);
    if (attr) {
        json_doc doc = JSON_DOC_INIT;
        char reason[256] = "";
        CHECK_INT(json_parse(&doc, attr->s.ptr, attr->s.len, reason), 0);
        int message = json_first(&doc, 0);
        int part = json_first(&doc, json_get(&doc, message, "parts"));
        bt_str content = STR_NULL;
        CHECK_INT(json_string(&doc, json_get(&doc, part, "content"), &a, &content), 0);
        CHECK_BTSTR(content, round_tripped);
        json_doc_free(&doc);
    }
    arena_free(&a);
}

TEST(tool_call_without_arguments_or_id_omits_them) {
    arena_t a = ARENA_INIT;
    bt_item item = {0};
    item.operation = "chat";
    SET_MSGS(&a, item.output_messages, item.output_message_count,
             MSG(&a, "assistant", NULL, tool_call_part(NULL, "ping", NULL, false),
                 tool_response_part(NULL, "", false)));
    span_t span;
    span_init(&span, &a);
    convention_ctx ctx = {STR_NULL, false};
    convention_genai.item(&span, &item, &ctx);

    /* An output message without a finish reason omits the key rather than inventing one. */
    CHECK_ATTR_STR(&span, "gen_ai.output.messages",
                   "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"tool_call\",\"name\":\"ping\"},"
                   "{\"type\":\"tool_call_response\",\"response\":\"\"}]}]");
    arena_free(&a);
}

/* Reasoning the provider gave only encrypted (Anthropic redacted_thinking) is a reasoning
 * part marked redacted, with the empty content the schema requires. */
TEST(redacted_reasoning_is_marked_redacted) {
    arena_t a = ARENA_INIT;
    bt_item item;
    memset(&item, 0, sizeof item);
    item.provider = "anthropic";
    item.operation = "chat";
    item.result = RESULT_SUCCEEDED;
    msg_part *parts = arena_calloc(&a, 2, sizeof *parts);
    parts[0] = (msg_part){.type = PART_REASONING, .redacted = true};
    parts[1] = text_part("Done.");
    msg *output = arena_calloc(&a, 1, sizeof *output);
    *output = (msg){.role = STR_LIT("assistant"), .parts = parts, .part_count = 2};
    item.output_messages = output;
    item.output_message_count = 1;
    span_t span;
    span_init(&span, &a);
    convention_ctx ctx = {STR_NULL, false};
    convention_genai.item(&span, &item, &ctx);
    CHECK_ATTR_STR(&span, "gen_ai.output.messages",
                   "[{\"role\":\"assistant\",\"parts\":[{\"type\":\"reasoning\",\"content\":\"\","
                   "\"redacted\":true},{\"type\":\"text\",\"content\":\"Done.\"}]}]");
    arena_free(&a);
}

/* What a user looks an OpenAI line up by: the request id, the service tier and fingerprint
 * (the openai.* registry), and the HTTP status of an errored line. */
TEST(openai_item_has_request_id_service_tier_and_http_status) {
    arena_t a = ARENA_INIT;
    bt_item item;
    memset(&item, 0, sizeof item);
    item.provider = "openai";
    item.operation = "chat";
    item.result = RESULT_ERRORED;
    item.error_type = STR_LIT("rate_limit_exceeded");
    item.request_id = STR_LIT("req_1");
    item.service_tier = STR_LIT("default");
    item.system_fingerprint = STR_LIT("fp_1");
    item.http_status = 429;
    span_t span;
    span_init(&span, &a);
    convention_ctx ctx = {STR_NULL, false};
    convention_genai.item(&span, &item, &ctx);
    CHECK_KEYS(&span, "gen_ai.operation.name", "gen_ai.provider.name", "openai.request.id",
               "openai.response.service_tier", "openai.response.system_fingerprint",
               "http.response.status_code", "error.type");
    CHECK_ATTR_STR(&span, "openai.request.id", "req_1");
    CHECK_ATTR_INT(&span, "http.response.status_code", 429);
    arena_free(&a);
}

TEST(no_content_drops_exactly_the_four_content_attributes) {
    arena_t a = ARENA_INIT;
    bt_item items[2] = {chat_item(&a), anthropic_item(&a)};
    for (size_t i = 0; i < 2; i++) {
        span_t with_content, without_content;
        span_init(&with_content, &a);
        span_init(&without_content, &a);
        convention_ctx full = {STR_NULL, false};
        convention_ctx redacted = {STR_NULL, true};
        convention_genai.item(&with_content, &items[i], &full);
        convention_genai.item(&without_content, &items[i], &redacted);

        size_t kept = 0;
        for (size_t k = 0; k < with_content.attr_count; k++) {
            const char *key = with_content.attrs[k].key;
            bool is_content = strcmp(key, "gen_ai.input.messages") == 0 ||
                              strcmp(key, "gen_ai.output.messages") == 0 ||
                              strcmp(key, "gen_ai.system_instructions") == 0 ||
                              strcmp(key, "gen_ai.tool.definitions") == 0;
            if (is_content) {
                CHECK(span_attr_find(&without_content, key) == NULL);
                continue;
            }
            /* Everything else is kept, in the same order. */
            CHECK(kept < without_content.attr_count);
            if (kept < without_content.attr_count)
                CHECK_STR(without_content.attrs[kept].key, key);
            kept++;
        }
        CHECK_INT(without_content.attr_count, kept);
        CHECK_INT(with_content.attr_count - kept, i == 0 ? 3 : 4);
    }
    arena_free(&a);
}

TEST(task_with_one_model_names_it) {
    arena_t a = ARENA_INIT;
    span_t span;
    span_init(&span, &a);
    bt_str models[] = {STR_LIT("gpt-4o-mini")};
    task_totals totals = {0};
    totals.provider = "openai";
    totals.models = models;
    totals.model_count = 1;
    totals.tokens = (token_totals){.input = 1000, .output = 250, .reasoning = 64,
                                   .has_input = true, .has_output = true, .has_reasoning = true};
    convention_ctx ctx = {STR_NULL, false};
    convention_genai.task(&span, &totals, &ctx);

    CHECK_KEYS(&span, "gen_ai.provider.name", "gen_ai.request.model", "batchtrace.models",
               "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens",
               "gen_ai.usage.reasoning.output_tokens");
    CHECK_ATTR_STR(&span, "gen_ai.provider.name", "openai");
    CHECK_ATTR_STR(&span, "gen_ai.request.model", "gpt-4o-mini");
    CHECK_ATTR_STRS(&span, "batchtrace.models", "gpt-4o-mini");
    CHECK_ATTR_INT(&span, "gen_ai.usage.input_tokens", 1000);
    CHECK_ATTR_INT(&span, "gen_ai.usage.output_tokens", 250);
    CHECK_ATTR_INT(&span, "gen_ai.usage.reasoning.output_tokens", 64);
    arena_free(&a);
}

TEST(task_with_several_models_lists_them_without_request_model) {
    arena_t a = ARENA_INIT;
    span_t span;
    span_init(&span, &a);
    bt_str models[] = {STR_LIT("claude-haiku-4-5"), STR_LIT("claude-sonnet-4-5")};
    task_totals totals = {0};
    totals.provider = "anthropic";
    totals.models = models;
    totals.model_count = 2;
    totals.tokens = (token_totals){.input = 7, .output = 3, .cache_read = 2, .cache_creation = 1,
                                   .reasoning = 0, .has_input = true, .has_output = true,
                                   .has_cache_read = true, .has_cache_creation = true};
    convention_ctx ctx = {STR_NULL, false};
    convention_genai.task(&span, &totals, &ctx);

    CHECK_KEYS(&span, "gen_ai.provider.name", "batchtrace.models", "gen_ai.usage.input_tokens",
               "gen_ai.usage.output_tokens", "gen_ai.usage.cache_read.input_tokens",
               "gen_ai.usage.cache_creation.input_tokens");
    CHECK_ATTR_STRS(&span, "batchtrace.models", "claude-haiku-4-5", "claude-sonnet-4-5");
    CHECK_ATTR_INT(&span, "gen_ai.usage.cache_read.input_tokens", 2);
    CHECK_ATTR_INT(&span, "gen_ai.usage.cache_creation.input_tokens", 1);
    arena_free(&a);
}

TEST(task_without_models_or_usage_has_only_provider) {
    arena_t a = ARENA_INIT;
    span_t span;
    span_init(&span, &a);
    task_totals totals = {0};
    totals.provider = "openai";
    convention_ctx ctx = {STR_NULL, false};
    convention_genai.task(&span, &totals, &ctx);

    CHECK_KEYS(&span, "gen_ai.provider.name");
    arena_free(&a);
}

int main(void) {
    RUN(chat_item_has_every_attribute_in_table_order);
    RUN(chat_item_message_json_is_exact);
    RUN(anthropic_item_has_system_instructions_thinking_and_blob);
    RUN(every_json_attribute_parses);
    RUN(errored_item_has_error_type_and_no_response_attributes);
    RUN(failed_item_without_provider_code_uses_result_name_as_error_type);
    RUN(succeeded_item_has_no_error_type_even_with_stale_error_fields);
    RUN(text_is_escaped_and_round_trips);
    RUN(tool_call_without_arguments_or_id_omits_them);
    RUN(no_content_drops_exactly_the_four_content_attributes);
    RUN(redacted_reasoning_is_marked_redacted);
    RUN(openai_item_has_request_id_service_tier_and_http_status);
    RUN(task_with_one_model_names_it);
    RUN(task_with_several_models_lists_them_without_request_model);
    RUN(task_without_models_or_usage_has_only_provider);
    TEST_MAIN_END();
}
