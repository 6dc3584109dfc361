/* Tests of the braintrust convention: each item span's name and exact braintrust.* attributes
 * against the span Braintrust's own SDK writes for the same call, worked out by hand from the
 * SDK's rules (the Ruby SDK's contrib/anthropic/instrumentation/{messages,common}.rb,
 * contrib/openai/instrumentation/{chat,responses}.rb and contrib/support/openai.rb; the JS
 * SDK's OpenAI plugin for embeddings): OpenAI chat, Responses and embeddings, Anthropic
 * messages, with tools, system blocks, cache tokens, reasoning, every result type, with and
 * without --no-content; and the task span. Every value parses as JSON. */
#include "convention_items.h"

/* Every braintrust.* value is a JSON document: the *_json keys and these. */
static const char *const JSON_KEYS[] = {"braintrust.metadata", "braintrust.metrics",
                                        "braintrust.span_attributes"};
#define JSON_KEY_COUNT (sizeof JSON_KEYS / sizeof JSON_KEYS[0])

/* True when span has exactly one event, "exception" at its end, with exception.type type
 * and exception.message message (NULL: none); prints what differs otherwise. */
static bool has_exception(const span_t *span, const char *type, const char *message) {
    if (span->event_count != 1) {
        fprintf(stderr, "  %zu events\n", span->event_count);
        return false;
    }
    const span_event *event = &span->events[0];
    size_t want = message ? 2 : 1;
    bool same = strcmp(event->name, "exception") == 0 && event->time_ns == span->end_ns &&
                event->attr_count == want && strcmp(event->attrs[0].key, "exception.type") == 0 &&
                str_eq_c(event->attrs[0].s, type) &&
                (!message || (strcmp(event->attrs[1].key, "exception.message") == 0 &&
                              str_eq_c(event->attrs[1].s, message)));
    if (!same) {
        fprintf(stderr, "  event %s with %zu attributes:", event->name, event->attr_count);
        for (size_t i = 0; i < event->attr_count; i++)
            fprintf(stderr, " %s=%.*s", event->attrs[i].key, (int)event->attrs[i].s.len,
                    event->attrs[i].s.ptr);
        fprintf(stderr, "\n");
    }
    return same;
}

/* OpenAI chat with everything the SDK reads from a response: created, system_fingerprint,
 * service_tier (the request asked "auto", the response says "default"), and usage details with
 * zeros, as the API returns them. */
static const char OPENAI_CHAT_FULL_REQUEST[] =
    "{\"custom_id\":\"chat-full\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\""
    ":{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\",\"content\":\"You are terse"
    ".\"},{\"role\":\"user\",\"content\":\"Weather in Paris?\"}],\"tools\":[{\"type\":\"functio"
    "n\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"}}}],\"tool_"
    "choice\":\"auto\",\"temperature\":0.2,\"seed\":7,\"service_tier\":\"auto\"}}";

/* Its result. */
static const char OPENAI_CHAT_FULL_RESULT[] =
    "{\"id\":\"batch_req_9\",\"custom_id\":\"chat-full\",\"response\":{\"status_code\":200,\"re"
    "quest_id\":\"req_9\",\"body\":{\"id\":\"chatcmpl-C\",\"object\":\"chat.completion\",\"crea"
    "ted\":1767225600,\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"message"
    "\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_9\",\"type\":\""
    "function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris"
    "\\\"}\"}}],\"refusal\":null},\"logprobs\":null,\"finish_reason\":\"tool_calls\"}],\"usage"
    "\":{\"prompt_tokens\":82,\"completion_tokens\":17,\"total_tokens\":99,\"prompt_tokens_deta"
    "ils\":{\"cached_tokens\":64,\"audio_tokens\":0},\"completion_tokens_details\":{\"reasoning"
    "_tokens\":0,\"audio_tokens\":0,\"accepted_prediction_tokens\":0,\"rejected_prediction_toke"
    "ns\":0}},\"service_tier\":\"default\",\"system_fingerprint\":\"fp_560af6e559\"}},\"error\""
    ":null}";

/* OpenAI Responses: instructions, reasoning, cached and reasoning token details. */
static const char OPENAI_RESPONSES_REQUEST[] =
    "{\"custom_id\":\"resp-1\",\"method\":\"POST\",\"url\":\"/v1/responses\",\"body\":{\"model"
    "\":\"o4-mini\",\"instructions\":\"Answer in one word.\",\"input\":[{\"role\":\"user\",\"co"
    "ntent\":\"Capital of France?\"}],\"reasoning\":{\"effort\":\"low\"},\"max_output_tokens\":"
    "64}}";

/* Its result. */
static const char OPENAI_RESPONSES_RESULT[] =
    "{\"id\":\"batch_req_10\",\"custom_id\":\"resp-1\",\"response\":{\"status_code\":200,\"body"
    "\":{\"id\":\"resp_1\",\"object\":\"response\",\"created_at\":1767225600,\"status\":\"compl"
    "eted\",\"model\":\"o4-mini-2025-04-16\",\"output\":[{\"id\":\"rs_1\",\"type\":\"reasoning"
    "\",\"summary\":[]},{\"id\":\"msg_1\",\"type\":\"message\",\"status\":\"completed\",\"role"
    "\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"Paris\",\"annotations\""
    ":[]}]}],\"usage\":{\"input_tokens\":20,\"input_tokens_details\":{\"cached_tokens\":0},\"ou"
    "tput_tokens\":70,\"output_tokens_details\":{\"reasoning_tokens\":64},\"total_tokens\":90}}"
    "},\"error\":null}";

/* Anthropic: a system given as blocks (one cached), redacted thinking, a stop sequence hit, a
 * cache read, and usage members the SDK skips (cache_creation, service_tier). */
static const char ANTHROPIC_BLOCKS_REQUEST[] =
    "{\"custom_id\":\"blocks-1\",\"params\":{\"model\":\"claude-sonnet-4-5\",\"max_tokens\":512"
    ",\"system\":[{\"type\":\"text\",\"text\":\"You are a support agent.\"},{\"type\":\"text\","
    "\"text\":\"Policy: be brief.\",\"cache_control\":{\"type\":\"ephemeral\"}}],\"messages\":["
    "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Where is my order?\"}]}],\"s"
    "top_sequences\":[\"###\"],\"tool_choice\":{\"type\":\"auto\"},\"tools\":[{\"name\":\"looku"
    "p_order\",\"description\":\"Find an order\",\"input_schema\":{\"type\":\"object\",\"proper"
    "ties\":{\"id\":{\"type\":\"string\"}}}}]}}";

/* Its result. */
static const char ANTHROPIC_BLOCKS_RESULT[] =
    "{\"custom_id\":\"blocks-1\",\"result\":{\"type\":\"succeeded\",\"message\":{\"id\":\"msg_0"
    "2\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5-20250929\","
    "\"content\":[{\"type\":\"redacted_thinking\",\"data\":\"EmwKAhgB\"},{\"type\":\"text\",\"t"
    "ext\":\"Shipped yesterday.\"}],\"stop_reason\":\"stop_sequence\",\"stop_sequence\":\"###\""
    ",\"usage\":{\"input_tokens\":12,\"cache_creation_input_tokens\":0,\"cache_read_input_token"
    "s\":2048,\"cache_creation\":{\"ephemeral_5m_input_tokens\":0,\"ephemeral_1h_input_tokens\""
    ":0},\"output_tokens\":9,\"service_tier\":\"batch\"}}}}";

/* Anthropic request the API rejected (no max_tokens). */
static const char ANTHROPIC_ERRORED_REQUEST[] =
    "{\"custom_id\":\"bad-1\",\"params\":{\"model\":\"claude-haiku-4-5\",\"messages\":[{\"role"
    "\":\"user\",\"content\":\"Hi\"}]}}";

/* Its result. */
static const char ANTHROPIC_ERRORED_RESULT[] =
    "{\"custom_id\":\"bad-1\",\"result\":{\"type\":\"errored\",\"error\":{\"type\":\"error\",\""
    "error\":{\"type\":\"invalid_request_error\",\"message\":\"max_tokens: Field required\"}}}}";

/* The same request canceled instead. */
static const char ANTHROPIC_CANCELED_RESULT[] =
    "{\"custom_id\":\"bad-1\",\"result\":{\"type\":\"canceled\"}}";

/* chat.rb: named "Chat Completion"; the response's model and created over the request's model. */
TEST(openai_plain_text_is_shaped_as_the_sdk_wrapper_shapes_it) {
    arena_t a = ARENA_INIT;
    bt_item item =
        make_item(&a, &provider_openai, OPENAI_PLAIN_REQUEST, OPENAI_PLAIN_RESULT);
    span_t span = item_span(&a, &convention_braintrust, &item, "batch_abc", false);
    CHECK_BTSTR(span.name, "Chat Completion");
    CHECK_MAP(&span,
        "braintrust.span_attributes={\"type\":\"llm\"}\nbraintrust.input_json=[{\"role\":\"user"
        "\",\"content\":\"Say hello\"}]\nbraintrust.output_json=[{\"index\":0,\"message\":{\"ro"
        "le\":\"assistant\",\"content\":\"Hello!\"},\"finish_reason\":\"stop\"}]\nbraintrust.me"
        "tadata={\"provider\":\"openai\",\"endpoint\":\"/v1/chat/completions\",\"model\":\"gpt-"
        "4o-mini-2024-07-18\",\"max_tokens\":16,\"temperature\":0,\"custom_id\":\"plain-1\",\"b"
        "atch_id\":\"batch_abc\",\"id\":\"chatcmpl-A\",\"created\":1767225600,\"finish_reasons"
        "\":[\"stop\"]}\nbraintrust.metrics={\"prompt_tokens\":9,\"completion_tokens\":2,\"toke"
        "ns\":11}\n");
    CHECK_INT(check_json_values(&span, JSON_KEYS, JSON_KEY_COUNT), 5);
    CHECK_INT(span.event_count, 0);
    arena_free(&a);
}

/* chat.rb finalize_metadata (id, created, model, system_fingerprint, service_tier replacing the
 * request's) and support/openai.rb (every number of *_tokens_details, zeros included). */
TEST(openai_chat_response_fields_and_every_token_detail) {
    arena_t a = ARENA_INIT;
    bt_item item =
        make_item(&a, &provider_openai, OPENAI_CHAT_FULL_REQUEST, OPENAI_CHAT_FULL_RESULT);
    span_t span = item_span(&a, &convention_braintrust, &item, "batch_abc", false);
    CHECK_BTSTR(span.name, "Chat Completion");
    CHECK_MAP(&span,
        "braintrust.span_attributes={\"type\":\"llm\"}\nbraintrust.input_json=[{\"role\":\"syst"
        "em\",\"content\":\"You are terse.\"},{\"role\":\"user\",\"content\":\"Weather in Paris"
        "?\"}]\nbraintrust.output_json=[{\"index\":0,\"message\":{\"role\":\"assistant\",\"cont"
        "ent\":null,\"tool_calls\":[{\"id\":\"call_9\",\"type\":\"function\",\"function\":{\"na"
        "me\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}],\"refusal\":nul"
        "l},\"logprobs\":null,\"finish_reason\":\"tool_calls\"}]\nbraintrust.metadata={\"provid"
        "er\":\"openai\",\"endpoint\":\"/v1/chat/completions\",\"model\":\"gpt-4o-mini-2024-07-"
        "18\",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parame"
        "ters\":{\"type\":\"object\"}}}],\"tool_choice\":\"auto\",\"temperature\":0.2,\"seed\":"
        "7,\"custom_id\":\"chat-full\",\"batch_id\":\"batch_abc\",\"id\":\"chatcmpl-C\",\"creat"
        "ed\":1767225600,\"system_fingerprint\":\"fp_560af6e559\",\"service_tier\":\"default\","
        "\"finish_reasons\":[\"tool_calls\"]}\nbraintrust.metrics={\"prompt_tokens\":82,\"compl"
        "etion_tokens\":17,\"tokens\":99,\"prompt_cached_tokens\":64,\"prompt_audio_tokens\":0,"
        "\"completion_reasoning_tokens\":0,\"completion_audio_tokens\":0,\"completion_accepted_"
        "prediction_tokens\":0,\"completion_rejected_prediction_tokens\":0}\n");
    CHECK_INT(check_json_values(&span, JSON_KEYS, JSON_KEY_COUNT), 5);
    arena_free(&a);
}

/* A tool round trip in the history, a tool call out, cached and reasoning tokens. */
TEST(openai_tool_calls_cached_and_reasoning_tokens) {
    arena_t a = ARENA_INIT;
    bt_item item =
        make_item(&a, &provider_openai, OPENAI_TOOLS_REQUEST, OPENAI_TOOLS_RESULT);
    span_t span = item_span(&a, &convention_braintrust, &item, "batch_abc", false);
    CHECK_MAP(&span,
        "braintrust.span_attributes={\"type\":\"llm\"}\nbraintrust.input_json=[{\"role\":\"syst"
        "em\",\"content\":\"You are terse.\"},{\"role\":\"user\",\"content\":\"Weather in Paris"
        "?\"},{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"typ"
        "e\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":"
        "\\\"Paris\\\"}\"}}]},{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"rain"
        "y, 57°F\"}]\nbraintrust.output_json=[{\"index\":0,\"message\":{\"role\":\"assistant\","
        "\"content\":\"Checking.\",\"tool_calls\":[{\"id\":\"call_2\",\"type\":\"function\",\"f"
        "unction\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Lyon\\\"}\"}}]},"
        "\"finish_reason\":\"tool_calls\"}]\nbraintrust.metadata={\"provider\":\"openai\",\"end"
        "point\":\"/v1/chat/completions\",\"model\":\"o4-mini-2025-04-16\",\"tools\":[{\"type\""
        ":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Get the weather"
        "\",\"parameters\":{\"type\":\"object\"}}}],\"tool_choice\":\"auto\",\"reasoning_effort"
        "\":\"low\",\"max_completion_tokens\":256,\"custom_id\":\"tools-1\",\"batch_id\":\"batc"
        "h_abc\",\"id\":\"chatcmpl-B\",\"finish_reasons\":[\"tool_calls\"]}\nbraintrust.metrics"
        "={\"prompt_tokens\":50,\"completion_tokens\":20,\"tokens\":70,\"prompt_cached_tokens\""
        ":10,\"completion_reasoning_tokens\":8}\n");
    CHECK_INT(check_json_values(&span, JSON_KEYS, JSON_KEY_COUNT), 5);
    arena_free(&a);
}

/* responses.rb: named "openai.responses.create", input and output raw, the request's model
 * kept (the SDK adds only the response id), input/output token details as prompt_/completion_. */
TEST(openai_responses_input_output_and_request_model) {
    arena_t a = ARENA_INIT;
    bt_item item =
        make_item(&a, &provider_openai, OPENAI_RESPONSES_REQUEST, OPENAI_RESPONSES_RESULT);
    span_t span = item_span(&a, &convention_braintrust, &item, "batch_abc", false);
    CHECK_BTSTR(span.name, "openai.responses.create");
    CHECK_MAP(&span,
        "braintrust.span_attributes={\"type\":\"llm\"}\nbraintrust.input_json=[{\"role\":\"user"
        "\",\"content\":\"Capital of France?\"}]\nbraintrust.output_json=[{\"id\":\"rs_1\",\"ty"
        "pe\":\"reasoning\",\"summary\":[]},{\"id\":\"msg_1\",\"type\":\"message\",\"status\":"
        "\"completed\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":"
        "\"Paris\",\"annotations\":[]}]}]\nbraintrust.metadata={\"provider\":\"openai\",\"endpo"
        "int\":\"/v1/responses\",\"model\":\"o4-mini\",\"instructions\":\"Answer in one word.\""
        ",\"reasoning\":{\"effort\":\"low\"},\"max_output_tokens\":64,\"custom_id\":\"resp-1\","
        "\"batch_id\":\"batch_abc\",\"id\":\"resp_1\",\"finish_reasons\":[\"stop\"]}\nbrai"
        "ntrust.metrics={\"prompt_tokens\":20,\"prompt_cached_tokens\":0,\"completion_tokens\":"
        "70,\"completion_reasoning_tokens\":64,\"tokens\":90}\n");
    CHECK_INT(check_json_values(&span, JSON_KEYS, JSON_KEY_COUNT), 5);
    arena_free(&a);
}

/* messages.rb: named "anthropic.messages.create", the response's model; common.rb: cache reads
 * and writes added into prompt_tokens, tokens last. */
TEST(anthropic_system_first_thinking_tool_use_and_cache_tokens) {
    arena_t a = ARENA_INIT;
    bt_item item =
        make_item(&a, &provider_anthropic, ANTHROPIC_THINKING_REQUEST, ANTHROPIC_THINKING_RESULT);
    span_t span = item_span(&a, &convention_braintrust, &item, "msgbatch_1", false);
    CHECK_BTSTR(span.name, "anthropic.messages.create");
    CHECK_MAP(&span,
        "braintrust.span_attributes={\"type\":\"llm\"}\nbraintrust.input_json=[{\"role\":\"syst"
        "em\",\"content\":\"Be precise.\"},{\"role\":\"user\",\"content\":\"What is 6*7? Use th"
        "e calculator.\"}]\nbraintrust.output_json=[{\"role\":\"assistant\",\"content\":[{\"typ"
        "e\":\"thinking\",\"thinking\":\"I should call the calculator.\",\"signature\":\"sig\"}"
        ",{\"type\":\"text\",\"text\":\"Let me compute.\"},{\"type\":\"tool_use\",\"id\":\"tool"
        "u_1\",\"name\":\"calculator\",\"input\":{\"expr\":\"6*7\"}}]}]\nbraintrust.metadata={"
        "\"provider\":\"anthropic\",\"endpoint\":\"/v1/messages\",\"model\":\"claude-sonnet-4-5"
        "-20250929\",\"max_tokens\":1024,\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":5"
        "12},\"tools\":[{\"name\":\"calculator\",\"description\":\"Evaluates arithmetic\",\"inp"
        "ut_schema\":{\"type\":\"object\"}}],\"custom_id\":\"think-1\",\"batch_id\":\"msgbatch_"
        "1\",\"id\":\"msg_01\",\"stop_reason\":\"tool_use\"}\nbraintrust.metrics={\"prompt_toke"
        "ns\":150,\"completion_tokens\":40,\"prompt_cached_tokens\":30,\"prompt_cache_creation_"
        "tokens\":20,\"tokens\":190}\n");
    CHECK_INT(check_json_values(&span, JSON_KEYS, JSON_KEY_COUNT), 5);
    arena_free(&a);
}

/* messages.rb set_input: system blocks joined with "\n" into one system message; the stop
 * sequence hit in metadata; common.rb: zeros kept, cache_creation and service_tier skipped. */
TEST(anthropic_system_blocks_become_one_text_and_stop_sequence_is_kept) {
    arena_t a = ARENA_INIT;
    bt_item item =
        make_item(&a, &provider_anthropic, ANTHROPIC_BLOCKS_REQUEST, ANTHROPIC_BLOCKS_RESULT);
    span_t span = item_span(&a, &convention_braintrust, &item, "msgbatch_2", false);
    CHECK_BTSTR(span.name, "anthropic.messages.create");
    CHECK_MAP(&span,
        "braintrust.span_attributes={\"type\":\"llm\"}\nbraintrust.input_json=[{\"role\":\"syst"
        "em\",\"content\":\"You are a support agent.\\nPolicy: be brief.\"},{\"role\":\"user\","
        "\"content\":[{\"type\":\"text\",\"text\":\"Where is my order?\"}]}]\nbraintrust.output"
        "_json=[{\"role\":\"assistant\",\"content\":[{\"type\":\"redacted_thinking\",\"data\":"
        "\"EmwKAhgB\"},{\"type\":\"text\",\"text\":\"Shipped yesterday.\"}]}]\nbraintrust.metad"
        "ata={\"provider\":\"anthropic\",\"endpoint\":\"/v1/messages\",\"model\":\"claude-sonne"
        "t-4-5-20250929\",\"max_tokens\":512,\"stop_sequences\":[\"###\"],\"tool_choice\":{\"ty"
        "pe\":\"auto\"},\"tools\":[{\"name\":\"lookup_order\",\"description\":\"Find an order\""
        ",\"input_schema\":{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"}}}}"
        "],\"custom_id\":\"blocks-1\",\"batch_id\":\"msgbatch_2\",\"id\":\"msg_02\",\"stop_reas"
        "on\":\"stop_sequence\",\"stop_sequence\":\"###\"}\nbraintrust.metrics={\"prompt_tokens"
        "\":2060,\"prompt_cache_creation_tokens\":0,\"prompt_cached_tokens\":2048,\"completion_"
        "tokens\":9,\"tokens\":2069}\n");
    CHECK_INT(check_json_values(&span, JSON_KEYS, JSON_KEY_COUNT), 5);
    arena_free(&a);
}

/* A failed call: no output or metrics, and metadata says what became of the item. */
TEST(openai_error_keeps_the_item_findable) {
    arena_t a = ARENA_INIT;
    bt_item item =
        make_item(&a, &provider_openai, OPENAI_ERROR_REQUEST, OPENAI_ERROR_RESULT);
    span_t span = item_span(&a, &convention_braintrust, &item, "batch_abc", false);
    CHECK_BTSTR(span.name, "Chat Completion");
    CHECK_MAP(&span,
        "braintrust.span_attributes={\"type\":\"llm\"}\nbraintrust.input_json=[{\"role\":\"user"
        "\",\"content\":\"Summarize War and Peace\"}]\nbraintrust.metadata={\"provider\":\"open"
        "ai\",\"endpoint\":\"/v1/chat/completions\",\"model\":\"gpt-4o\",\"custom_id\":\"err-1"
        "\",\"batch_id\":\"batch_abc\",\"result\":\"errored\",\"error\":{\"type\":\"context_len"
        "gth_exceeded\",\"message\":\"This model's maximum context length is 128000 tokens.\"}}"
        "\n");
    CHECK_INT(check_json_values(&span, JSON_KEYS, JSON_KEY_COUNT), 3);
    CHECK(has_exception(&span, "context_length_exceeded",
                        "This model's maximum context length is 128000 tokens."));
    arena_free(&a);
}

/* Every failed result type of a message batch: result and the provider's error in metadata,
 * and the "exception" event the SDK's tracer records for a failed call. */
TEST(anthropic_errored_canceled_and_expired_items) {
    arena_t a = ARENA_INIT;
    bt_item errored =
        make_item(&a, &provider_anthropic, ANTHROPIC_ERRORED_REQUEST, ANTHROPIC_ERRORED_RESULT);
    span_t span = item_span(&a, &convention_braintrust, &errored, "msgbatch_3", false);
    CHECK_BTSTR(span.name, "anthropic.messages.create");
    CHECK_MAP(&span,
        "braintrust.span_attributes={\"type\":\"llm\"}\nbraintrust.input_json=[{\"role\":\"user"
        "\",\"content\":\"Hi\"}]\nbraintrust.metadata={\"provider\":\"anthropic\",\"endpoint\":"
        "\"/v1/messages\",\"model\":\"claude-haiku-4-5\",\"custom_id\":\"bad-1\",\"batch_id\":"
        "\"msgbatch_3\",\"result\":\"errored\",\"error\":{\"type\":\"invalid_request_error\",\""
        "message\":\"max_tokens: Field required\"}}\n");
    CHECK_INT(check_json_values(&span, JSON_KEYS, JSON_KEY_COUNT), 3);
    CHECK(has_exception(&span, "invalid_request_error", "max_tokens: Field required"));
    bt_item canceled =
        make_item(&a, &provider_anthropic, ANTHROPIC_ERRORED_REQUEST, ANTHROPIC_CANCELED_RESULT);
    span = item_span(&a, &convention_braintrust, &canceled, "msgbatch_3", false);
    CHECK_MAP(&span,
        "braintrust.span_attributes={\"type\":\"llm\"}\nbraintrust.input_json=[{\"role\":\"user"
        "\",\"content\":\"Hi\"}]\nbraintrust.metadata={\"provider\":\"anthropic\",\"endpoint\":"
        "\"/v1/messages\",\"model\":\"claude-haiku-4-5\",\"custom_id\":\"bad-1\",\"batch_id\":"
        "\"msgbatch_3\",\"result\":\"canceled\",\"error\":{\"type\":\"canceled\",\"message\":\""
        "request canceled before processing\"}}\n");
    CHECK(has_exception(&span, "canceled", "request canceled before processing"));
    bt_item expired =
        make_item(&a, &provider_anthropic, ANTHROPIC_EXPIRED_REQUEST, ANTHROPIC_EXPIRED_RESULT);
    span = item_span(&a, &convention_braintrust, &expired, "", false);
    CHECK_MAP(&span,
        "braintrust.span_attributes={\"type\":\"llm\"}\nbraintrust.input_json=[{\"role\":\"user"
        "\",\"content\":\"Ping\"}]\nbraintrust.metadata={\"provider\":\"anthropic\",\"endpoint"
        "\":\"/v1/messages\",\"model\":\"claude-haiku-4-5\",\"max_tokens\":64,\"custom_id\":\"e"
        "xp-1\",\"result\":\"expired\",\"error\":{\"type\":\"expired\",\"message\":\"request ex"
        "pired before processing\"}}\n");
    CHECK(has_exception(&span, "expired", "request expired before processing"));
    arena_free(&a);
}

/* OpenAI's error file: a request the batch did not run before it expired, and one canceled
 * with the batch. */
TEST(openai_expired_and_canceled_items_from_the_error_file) {
    static const char expired_line[] =
        "{\"id\":\"batch_req_7\",\"custom_id\":\"plain-1\",\"response\":null,\"error\":{\"code\":"
        "\"batch_expired\",\"message\":\"This request could not be executed before the "
        "completion window expired.\"}}";
    static const char canceled_line[] =
        "{\"id\":\"batch_req_8\",\"custom_id\":\"plain-1\",\"response\":null,\"error\":{\"code\":"
        "\"batch_cancelled\",\"message\":\"This request was cancelled.\"}}";
    arena_t a = ARENA_INIT;
    bt_item expired = make_item(&a, &provider_openai, OPENAI_PLAIN_REQUEST, expired_line);
    span_t span = item_span(&a, &convention_braintrust, &expired, "batch_abc", false);
    CHECK_BTSTR(span.name, "Chat Completion");
    CHECK_MAP(&span,
        "braintrust.span_attributes={\"type\":\"llm\"}\n"
        "braintrust.input_json=[{\"role\":\"user\",\"content\":\"Say hello\"}]\n"
        "braintrust.metadata={\"provider\":\"openai\",\"endpoint\":\"/v1/chat/completions\",\"m"
        "odel\":\"gpt-4o-mini\",\"max_tokens\":16,\"temperature\":0,\"custom_id\":\"plain-1\","
        "\"batch_id\":\"batch_abc\",\"result\":\"expired\",\"error\":{\"type\":\"batch_expire"
        "d\",\"message\":\"This request could not be executed before the completion window "
        "expired.\"}}\n");
    CHECK(has_exception(&span, "batch_expired",
                        "This request could not be executed before the completion window "
                        "expired."));
    bt_item canceled = make_item(&a, &provider_openai, OPENAI_PLAIN_REQUEST, canceled_line);
    span = item_span(&a, &convention_braintrust, &canceled, "batch_abc", false);
    const span_attr *metadata = span_attr_find(&span, "braintrust.metadata");
    CHECK(metadata != NULL);
    if (metadata)
        CHECK_BTSTR(metadata->s,
                    "{\"provider\":\"openai\",\"endpoint\":\"/v1/chat/completions\",\"model\":"
                    "\"gpt-4o-mini\",\"max_tokens\":16,\"temperature\":0,\"custom_id\":\"plain-1"
                    "\",\"batch_id\":\"batch_abc\",\"result\":\"canceled\",\"error\":{\"type\":\"b"
                    "atch_cancelled\",\"message\":\"This request was cancelled.\"}}");
    CHECK(has_exception(&span, "batch_cancelled", "This request was cancelled."));
    arena_free(&a);
}

/* An input the batch never answered (the collector ends it as missing when the batch failed). */
TEST(missing_item_has_its_input_and_why_it_has_no_result) {
    arena_t a = ARENA_INIT;
    bt_item item;
    memset(&item, 0, sizeof item);
    parse_record(&a, &provider_openai, OPENAI_PLAIN_REQUEST, true, &item);
    item.result = RESULT_MISSING;
    item.error_type = STR_LIT("missing");
    item.error_message = STR_LIT("the batch failed");
    span_t span = item_span(&a, &convention_braintrust, &item, "batch_abc", false);
    CHECK_BTSTR(span.name, "Chat Completion");
    CHECK_MAP(&span,
        "braintrust.span_attributes={\"type\":\"llm\"}\nbraintrust.input_json=[{\"role\":\"user"
        "\",\"content\":\"Say hello\"}]\nbraintrust.metadata={\"provider\":\"openai\",\"endpoin"
        "t\":\"/v1/chat/completions\",\"model\":\"gpt-4o-mini\",\"max_tokens\":16,\"temperature"
        "\":0,\"custom_id\":\"plain-1\",\"batch_id\":\"batch_abc\",\"result\":\"missing\",\"err"
        "or\":{\"type\":\"missing\",\"message\":\"the batch failed\"}}\n");
    CHECK_INT(check_json_values(&span, JSON_KEYS, JSON_KEY_COUNT), 3);
    CHECK(has_exception(&span, "missing", "the batch failed"));
    arena_free(&a);
}

/* The JS SDK's OpenAI plugin (the Ruby SDK has no embeddings span): named "Embedding", output
 * the embedding length. */
TEST(openai_embeddings_output_is_the_embedding_length) {
    arena_t a = ARENA_INIT;
    bt_item item =
        make_item(&a, &provider_openai, OPENAI_EMBEDDING_REQUEST, OPENAI_EMBEDDING_RESULT);
    span_t span = item_span(&a, &convention_braintrust, &item, "batch_abc", false);
    CHECK_BTSTR(span.name, "Embedding");
    CHECK_MAP(&span,
        "braintrust.span_attributes={\"type\":\"llm\"}\nbraintrust.input_json=[\"alpha\",\"beta"
        "\"]\nbraintrust.output_json={\"embedding_length\":3}\nbraintrust.metadata={\"provider"
        "\":\"openai\",\"endpoint\":\"/v1/embeddings\",\"model\":\"text-embedding-3-small\",\"e"
        "ncoding_format\":\"float\",\"custom_id\":\"emb-1\",\"batch_id\":\"batch_abc\"}\nbraint"
        "rust.metrics={\"prompt_tokens\":4,\"tokens\":4}\n");
    CHECK_INT(check_json_values(&span, JSON_KEYS, JSON_KEY_COUNT), 5);
    arena_free(&a);
}

/* A result whose input is unknown. */
TEST(item_without_request_uses_the_response_model) {
    arena_t a = ARENA_INIT;
    bt_item item;
    memset(&item, 0, sizeof item);
    parse_record(&a, &provider_openai, OPENAI_PLAIN_RESULT, false, &item);
    item.input_missing = true;
    span_t span = item_span(&a, &convention_braintrust, &item, "", false);
    CHECK_MAP(&span,
        "braintrust.span_attributes={\"type\":\"llm\"}\nbraintrust.output_json=[{\"index\":0,\""
        "message\":{\"role\":\"assistant\",\"content\":\"Hello!\"},\"finish_reason\":\"stop\"}]"
        "\nbraintrust.metadata={\"provider\":\"openai\",\"endpoint\":\"/v1/chat/completions\","
        "\"model\":\"gpt-4o-mini-2024-07-18\",\"custom_id\":\"plain-1\",\"id\":\"chatcmpl-A\","
        "\"created\":1767225600,\"finish_reasons\":[\"stop\"]}\nbraintrust.metrics={\"prompt_to"
        "kens\":9,\"completion_tokens\":2,\"tokens\":11}\n");
    arena_free(&a);
}

/* --no-content: no input or output, no parameter carrying content. */
TEST(no_content_drops_input_output_and_content_parameters) {
    arena_t a = ARENA_INIT;
    bt_item tools =
        make_item(&a, &provider_openai, OPENAI_TOOLS_REQUEST, OPENAI_TOOLS_RESULT);
    span_t span = item_span(&a, &convention_braintrust, &tools, "batch_abc", true);
    CHECK_MAP(&span,
        "braintrust.span_attributes={\"type\":\"llm\"}\nbraintrust.metadata={\"provider\":\"ope"
        "nai\",\"endpoint\":\"/v1/chat/completions\",\"model\":\"o4-mini-2025-04-16\",\"tool_ch"
        "oice\":\"auto\",\"reasoning_effort\":\"low\",\"max_completion_tokens\":256,\"custom_id"
        "\":\"tools-1\",\"batch_id\":\"batch_abc\",\"id\":\"chatcmpl-B\",\"finish_reasons\":[\""
        "tool_calls\"]}\nbraintrust.metrics={\"prompt_tokens\":50,\"completion_tokens\":20,\"to"
        "kens\":70,\"prompt_cached_tokens\":10,\"completion_reasoning_tokens\":8}\n");
    bt_item thinking =
        make_item(&a, &provider_anthropic, ANTHROPIC_THINKING_REQUEST, ANTHROPIC_THINKING_RESULT);
    span = item_span(&a, &convention_braintrust, &thinking, "msgbatch_1", true);
    CHECK_MAP(&span,
        "braintrust.span_attributes={\"type\":\"llm\"}\nbraintrust.metadata={\"provider\":\"ant"
        "hropic\",\"endpoint\":\"/v1/messages\",\"model\":\"claude-sonnet-4-5-20250929\",\"max_"
        "tokens\":1024,\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":512},\"custom_id\":"
        "\"think-1\",\"batch_id\":\"msgbatch_1\",\"id\":\"msg_01\",\"stop_reason\":\"tool_use\""
        "}\nbraintrust.metrics={\"prompt_tokens\":150,\"completion_tokens\":40,\"prompt_cached_"
        "tokens\":30,\"prompt_cache_creation_tokens\":20,\"tokens\":190}\n");
    CHECK_INT(check_json_values(&span, JSON_KEYS, JSON_KEY_COUNT), 3);
    arena_free(&a);
}

TEST(task_is_a_task_with_the_batch_and_no_token_metrics) {
    arena_t a = ARENA_INIT;
    task_totals totals = openai_task_totals();
    span_t span = task_span(&a, &convention_braintrust, &totals, "openai.batch");
    CHECK_MAP(&span,
        "braintrust.span_attributes={\"type\":\"task\"}\n"
        "braintrust.input_json={\"provider\":\"openai\",\"batch_id\":\"batch_abc\",\"endpoint\""
        ":\"/v1/chat/completions\",\"models\":[\"gpt-4o\",\"gpt-4o-mini\"]}\n"
        "braintrust.output_json={\"batch_status\":\"completed\",\"request_counts\":{\"total\":5"
        ",\"succeeded\":3,\"errored\":1,\"canceled\":0,\"expired\":1,\"missing\":0}}\n"
        "braintrust.metadata={\"provider\":\"openai\",\"batch_id\":\"batch_abc\",\"endpoint\":"
        "\"/v1/chat/completions\",\"batch_status\":\"completed\"}\n");
    CHECK_INT(check_json_values(&span, JSON_KEYS, JSON_KEY_COUNT), 4);
    arena_free(&a);
}

TEST(pretty_printed_provider_json_is_compacted_but_strings_are_kept) {
    static const char request[] =
        "{\"custom_id\":\"pretty-1\",\"params\":{\n  \"model\": \"claude-haiku-4-5\",\n"
        "  \"max_tokens\": 64,\n  \"messages\": [\n    {\"role\": \"user\",\r\n\t"
        "\"content\": \"keep  these \\\"  spaces\\\\\"}\n  ]\n}}";
    static const char result[] = "{\"custom_id\":\"pretty-1\",\"result\":{\"type\":\"canceled\"}}";
    arena_t a = ARENA_INIT;
    bt_item item = make_item(&a, &provider_anthropic, request, result);
    span_t span = item_span(&a, &convention_braintrust, &item, "", false);
    const span_attr *input = span_attr_find(&span, "braintrust.input_json");
    CHECK(input != NULL);
    if (input)
        CHECK_BTSTR(input->s, "[{\"role\":\"user\",\"content\":\"keep  these \\\"  spaces\\\\\"}]");
    CHECK_INT(check_json_values(&span, JSON_KEYS, JSON_KEY_COUNT), 3);
    arena_free(&a);
}

/* The submit span: the requests as input, the batch in metadata; a cut list says how much of
 * it is there. */
TEST(submit_has_the_requests_as_input_and_the_custom_ids_in_metadata) {
    arena_t a = ARENA_INIT;
    static const bt_str models[] = {STR_LIT("claude-haiku-4-5")};
    static const bt_str ids[] = {STR_LIT("a-1"), STR_LIT("a-2")};
    submit_totals totals = {
        .provider = "anthropic",
        .endpoint = STR_LIT("/v1/messages"),
        .request_count = 2,
        .models = models,
        .model_count = 1,
        .custom_ids = ids,
        .custom_id_count = 2,
        .requests_json = STR_LIT("[{\"custom_id\":\"a-1\",\"params\":{}},{\"custom_id\":\"a-2\","
                                 "\"params\":{}}]"),
        .requests_shown = 2,
    };
    span_t span;
    span_init(&span, &a);
    convention_braintrust.submit(&span, &totals);
    CHECK_MAP(&span,
        "braintrust.span_attributes={\"type\":\"task\"}\n"
        "braintrust.input_json=[{\"custom_id\":\"a-1\",\"params\":{}},{\"custom_id\":\"a-2\",\"p"
        "arams\":{}}]\n"
        "braintrust.metadata={\"provider\":\"anthropic\",\"endpoint\":\"/v1/messages\",\"reques"
        "t_count\":2,\"models\":[\"claude-haiku-4-5\"],\"custom_ids\":[\"a-1\",\"a-2\"]}\n");
    totals.batch_id = STR_LIT("msgbatch_9");
    totals.request_count = 3;
    span_init(&span, &a);
    convention_braintrust.submit(&span, &totals);
    const span_attr *metadata = span_attr_find(&span, "braintrust.metadata");
    CHECK(metadata != NULL);
    if (metadata)
        CHECK_BTSTR(metadata->s,
                    "{\"provider\":\"anthropic\",\"endpoint\":\"/v1/messages\",\"batch_id\":\"m"
                    "sgbatch_9\",\"request_count\":3,\"models\":[\"claude-haiku-4-5\"],\"custom_ids"
                    "\":[\"a-1\",\"a-2\"],\"custom_ids_shown\":2,\"requests_shown\":2}");
    arena_free(&a);
}

TEST(braintrust_is_found_by_name) {
    CHECK(convention_by_name("braintrust") == &convention_braintrust);
    CHECK(convention_by_name("Braintrust") == NULL);
}

int main(void) {
    RUN(openai_plain_text_is_shaped_as_the_sdk_wrapper_shapes_it);
    RUN(openai_chat_response_fields_and_every_token_detail);
    RUN(openai_tool_calls_cached_and_reasoning_tokens);
    RUN(openai_responses_input_output_and_request_model);
    RUN(anthropic_system_first_thinking_tool_use_and_cache_tokens);
    RUN(anthropic_system_blocks_become_one_text_and_stop_sequence_is_kept);
    RUN(openai_error_keeps_the_item_findable);
    RUN(anthropic_errored_canceled_and_expired_items);
    RUN(openai_expired_and_canceled_items_from_the_error_file);
    RUN(missing_item_has_its_input_and_why_it_has_no_result);
    RUN(openai_embeddings_output_is_the_embedding_length);
    RUN(item_without_request_uses_the_response_model);
    RUN(no_content_drops_input_output_and_content_parameters);
    RUN(task_is_a_task_with_the_batch_and_no_token_metrics);
    RUN(pretty_printed_provider_json_is_compacted_but_strings_are_kept);
    RUN(submit_has_the_requests_as_input_and_the_custom_ids_in_metadata);
    RUN(braintrust_is_found_by_name);
    TEST_MAIN_END();
}
