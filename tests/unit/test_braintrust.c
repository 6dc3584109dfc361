/* Tests of the braintrust convention: the exact braintrust.* attributes of OpenAI and
 * Anthropic items (plain text, tool calls, thinking, errors, cache tokens, embeddings), with
 * and without --no-content, and of the task span; every value parses as JSON. */
#include "convention_items.h"

/* Every braintrust.* value is a JSON document: the *_json keys and these. */
static const char *const JSON_KEYS[] = {"braintrust.metadata", "braintrust.metrics",
                                        "braintrust.span_attributes"};
#define JSON_KEY_COUNT (sizeof JSON_KEYS / sizeof JSON_KEYS[0])

TEST(openai_plain_text_is_shaped_as_the_sdk_wrapper_shapes_it) {
    arena_t a = ARENA_INIT;
    bt_item item = make_item(&a, &provider_openai, OPENAI_PLAIN_REQUEST, OPENAI_PLAIN_RESULT);
    span_t span = item_span(&a, &convention_braintrust, &item, "batch_abc", false);
    CHECK_MAP(&span,
        "braintrust.span_attributes={\"type\":\"llm\"}\n"
        "braintrust.input_json=[{\"role\":\"user\",\"content\":\"Say hello\"}]\n"
        "braintrust.output_json=[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
        "\"Hello!\"},\"finish_reason\":\"stop\"}]\n"
        "braintrust.metadata={\"provider\":\"openai\",\"endpoint\":\"/v1/chat/completions\",\"m"
        "odel\":\"gpt-4o-mini\",\"max_tokens\":16,\"temperature\":0,\"custom_id\":\"plain-1\","
        "\"batch_id\":\"batch_abc\",\"id\":\"chatcmpl-A\",\"finish_reasons\":[\"stop\"]}\n"
        "braintrust.metrics={\"prompt_tokens\":9,\"completion_tokens\":2,\"tokens\":11}\n");
    CHECK_INT(check_json_values(&span, JSON_KEYS, JSON_KEY_COUNT), 5);
    arena_free(&a);
}

TEST(openai_tool_calls_cached_and_reasoning_tokens) {
    arena_t a = ARENA_INIT;
    bt_item item = make_item(&a, &provider_openai, OPENAI_TOOLS_REQUEST, OPENAI_TOOLS_RESULT);
    span_t span = item_span(&a, &convention_braintrust, &item, "batch_abc", false);
    CHECK_MAP(&span,
        "braintrust.span_attributes={\"type\":\"llm\"}\n"
        "braintrust.input_json=[{\"role\":\"system\",\"content\":\"You are terse.\"},{\"role\":"
        "\"user\",\"content\":\"Weather in Paris?\"},{\"role\":\"assistant\",\"content\":null,"
        "\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"get_"
        "weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},{\"role\":\"tool\",\"tool"
        "_call_id\":\"call_1\",\"content\":\"rainy, 57°F\"}]\n"
        "braintrust.output_json=[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
        "\"Checking.\",\"tool_calls\":[{\"id\":\"call_2\",\"type\":\"function\",\"function\":{"
        "\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Lyon\\\"}\"}}]},\"finish_re"
        "ason\":\"tool_calls\"}]\n"
        "braintrust.metadata={\"provider\":\"openai\",\"endpoint\":\"/v1/chat/completions\",\"m"
        "odel\":\"o4-mini\",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weat"
        "her\",\"description\":\"Get the weather\",\"parameters\":{\"type\":\"object\"}}}],\"to"
        "ol_choice\":\"auto\",\"reasoning_effort\":\"low\",\"max_completion_tokens\":256,\"cust"
        "om_id\":\"tools-1\",\"batch_id\":\"batch_abc\",\"id\":\"chatcmpl-B\",\"finish_reasons"
        "\":[\"tool_calls\"]}\n"
        "braintrust.metrics={\"prompt_tokens\":50,\"completion_tokens\":20,\"tokens\":70,\"prom"
        "pt_cached_tokens\":10,\"completion_reasoning_tokens\":8}\n");
    CHECK_INT(check_json_values(&span, JSON_KEYS, JSON_KEY_COUNT), 5);
    arena_free(&a);
}

TEST(anthropic_system_first_thinking_tool_use_and_cache_tokens) {
    arena_t a = ARENA_INIT;
    bt_item item = make_item(&a, &provider_anthropic, ANTHROPIC_THINKING_REQUEST,
                             ANTHROPIC_THINKING_RESULT);
    span_t span = item_span(&a, &convention_braintrust, &item, "msgbatch_1", false);
    CHECK_MAP(&span,
        "braintrust.span_attributes={\"type\":\"llm\"}\n"
        "braintrust.input_json=[{\"role\":\"system\",\"content\":\"Be precise.\"},{\"role\":\"u"
        "ser\",\"content\":\"What is 6*7? Use the calculator.\"}]\n"
        "braintrust.output_json=[{\"role\":\"assistant\",\"content\":[{\"type\":\"thinking\",\""
        "thinking\":\"I should call the calculator.\",\"signature\":\"sig\"},{\"type\":\"text\""
        ",\"text\":\"Let me compute.\"},{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"ca"
        "lculator\",\"input\":{\"expr\":\"6*7\"}}]}]\n"
        "braintrust.metadata={\"provider\":\"anthropic\",\"endpoint\":\"/v1/messages\",\"model"
        "\":\"claude-sonnet-4-5\",\"max_tokens\":1024,\"thinking\":{\"type\":\"enabled\",\"budg"
        "et_tokens\":512},\"tools\":[{\"name\":\"calculator\",\"description\":\"Evaluates arith"
        "metic\",\"input_schema\":{\"type\":\"object\"}}],\"custom_id\":\"think-1\",\"batch_id"
        "\":\"msgbatch_1\",\"id\":\"msg_01\",\"stop_reason\":\"tool_use\"}\n"
        "braintrust.metrics={\"prompt_tokens\":150,\"completion_tokens\":40,\"tokens\":190,\"pr"
        "ompt_cached_tokens\":30,\"prompt_cache_creation_tokens\":20}\n");
    CHECK_INT(check_json_values(&span, JSON_KEYS, JSON_KEY_COUNT), 5);
    arena_free(&a);
}

TEST(openai_error_has_input_and_metadata_but_no_output_or_metrics) {
    arena_t a = ARENA_INIT;
    bt_item item = make_item(&a, &provider_openai, OPENAI_ERROR_REQUEST, OPENAI_ERROR_RESULT);
    span_t span = item_span(&a, &convention_braintrust, &item, "batch_abc", false);
    CHECK_MAP(&span,
        "braintrust.span_attributes={\"type\":\"llm\"}\n"
        "braintrust.input_json=[{\"role\":\"user\",\"content\":\"Summarize War and Peace\"}]\n"
        "braintrust.metadata={\"provider\":\"openai\",\"endpoint\":\"/v1/chat/completions\",\"m"
        "odel\":\"gpt-4o\",\"custom_id\":\"err-1\",\"batch_id\":\"batch_abc\"}\n");
    CHECK_INT(check_json_values(&span, JSON_KEYS, JSON_KEY_COUNT), 3);
    arena_free(&a);
}

TEST(anthropic_expired_item_without_response) {
    arena_t a = ARENA_INIT;
    bt_item item = make_item(&a, &provider_anthropic, ANTHROPIC_EXPIRED_REQUEST,
                             ANTHROPIC_EXPIRED_RESULT);
    span_t span = item_span(&a, &convention_braintrust, &item, "", false);
    CHECK_MAP(&span,
        "braintrust.span_attributes={\"type\":\"llm\"}\n"
        "braintrust.input_json=[{\"role\":\"user\",\"content\":\"Ping\"}]\n"
        "braintrust.metadata={\"provider\":\"anthropic\",\"endpoint\":\"/v1/messages\",\"model"
        "\":\"claude-haiku-4-5\",\"max_tokens\":64,\"custom_id\":\"exp-1\"}\n");
    CHECK_INT(check_json_values(&span, JSON_KEYS, JSON_KEY_COUNT), 3);
    arena_free(&a);
}

TEST(openai_embeddings_output_is_the_embedding_length) {
    arena_t a = ARENA_INIT;
    bt_item item =
        make_item(&a, &provider_openai, OPENAI_EMBEDDING_REQUEST, OPENAI_EMBEDDING_RESULT);
    span_t span = item_span(&a, &convention_braintrust, &item, "batch_abc", false);
    CHECK_MAP(&span,
        "braintrust.span_attributes={\"type\":\"llm\"}\n"
        "braintrust.input_json=[\"alpha\",\"beta\"]\n"
        "braintrust.output_json={\"embedding_length\":3}\n"
        "braintrust.metadata={\"provider\":\"openai\",\"endpoint\":\"/v1/embeddings\",\"model\""
        ":\"text-embedding-3-small\",\"encoding_format\":\"float\",\"custom_id\":\"emb-1\",\"ba"
        "tch_id\":\"batch_abc\"}\n"
        "braintrust.metrics={\"prompt_tokens\":4,\"tokens\":4}\n");
    CHECK_INT(check_json_values(&span, JSON_KEYS, JSON_KEY_COUNT), 5);
    arena_free(&a);
}

TEST(item_without_request_uses_the_response_model) {
    arena_t a = ARENA_INIT;
    bt_item item;
    memset(&item, 0, sizeof item);
    parse_record(&a, &provider_openai, OPENAI_PLAIN_RESULT, false, &item);
    item.input_missing = true;
    span_t span = item_span(&a, &convention_braintrust, &item, "", false);
    CHECK_MAP(&span,
        "braintrust.span_attributes={\"type\":\"llm\"}\n"
        "braintrust.output_json=[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
        "\"Hello!\"},\"finish_reason\":\"stop\"}]\n"
        "braintrust.metadata={\"provider\":\"openai\",\"endpoint\":\"/v1/chat/completions\",\"m"
        "odel\":\"gpt-4o-mini-2024-07-18\",\"custom_id\":\"plain-1\",\"id\":\"chatcmpl-A\",\"fi"
        "nish_reasons\":[\"stop\"]}\n"
        "braintrust.metrics={\"prompt_tokens\":9,\"completion_tokens\":2,\"tokens\":11}\n");
    arena_free(&a);
}

TEST(no_content_drops_input_output_and_content_parameters) {
    arena_t a = ARENA_INIT;
    bt_item tools = make_item(&a, &provider_openai, OPENAI_TOOLS_REQUEST, OPENAI_TOOLS_RESULT);
    span_t span = item_span(&a, &convention_braintrust, &tools, "batch_abc", true);
    CHECK_MAP(&span,
        "braintrust.span_attributes={\"type\":\"llm\"}\n"
        "braintrust.metadata={\"provider\":\"openai\",\"endpoint\":\"/v1/chat/completions\",\"m"
        "odel\":\"o4-mini\",\"tool_choice\":\"auto\",\"reasoning_effort\":\"low\",\"max_complet"
        "ion_tokens\":256,\"custom_id\":\"tools-1\",\"batch_id\":\"batch_abc\",\"id\":\"chatcmp"
        "l-B\",\"finish_reasons\":[\"tool_calls\"]}\n"
        "braintrust.metrics={\"prompt_tokens\":50,\"completion_tokens\":20,\"tokens\":70,\"prom"
        "pt_cached_tokens\":10,\"completion_reasoning_tokens\":8}\n");
    bt_item thinking = make_item(&a, &provider_anthropic, ANTHROPIC_THINKING_REQUEST,
                                 ANTHROPIC_THINKING_RESULT);
    span = item_span(&a, &convention_braintrust, &thinking, "msgbatch_1", true);
    CHECK_MAP(&span,
        "braintrust.span_attributes={\"type\":\"llm\"}\n"
        "braintrust.metadata={\"provider\":\"anthropic\",\"endpoint\":\"/v1/messages\",\"model"
        "\":\"claude-sonnet-4-5\",\"max_tokens\":1024,\"thinking\":{\"type\":\"enabled\",\"budg"
        "et_tokens\":512},\"custom_id\":\"think-1\",\"batch_id\":\"msgbatch_1\",\"id\":\"msg_01"
        "\",\"stop_reason\":\"tool_use\"}\n"
        "braintrust.metrics={\"prompt_tokens\":150,\"completion_tokens\":40,\"tokens\":190,\"pr"
        "ompt_cached_tokens\":30,\"prompt_cache_creation_tokens\":20}\n");
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

TEST(braintrust_is_found_by_name) {
    CHECK(convention_by_name("braintrust") == &convention_braintrust);
    CHECK(convention_by_name("Braintrust") == NULL);
}

int main(void) {
    RUN(openai_plain_text_is_shaped_as_the_sdk_wrapper_shapes_it);
    RUN(openai_tool_calls_cached_and_reasoning_tokens);
    RUN(anthropic_system_first_thinking_tool_use_and_cache_tokens);
    RUN(openai_error_has_input_and_metadata_but_no_output_or_metrics);
    RUN(anthropic_expired_item_without_response);
    RUN(openai_embeddings_output_is_the_embedding_length);
    RUN(item_without_request_uses_the_response_model);
    RUN(no_content_drops_input_output_and_content_parameters);
    RUN(task_is_a_task_with_the_batch_and_no_token_metrics);
    RUN(pretty_printed_provider_json_is_compacted_but_strings_are_kept);
    RUN(braintrust_is_found_by_name);
    TEST_MAIN_END();
}
