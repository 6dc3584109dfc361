/* Tests of the openinference convention: the exact OpenInference attributes of OpenAI and
 * Anthropic items (plain text, tool calls, thinking, errors, cache tokens, embeddings), with
 * and without --no-content, and of the task span; every JSON value parses. */
#include "convention_items.h"

/* The attributes whose values are JSON documents (OpenInference "JSON String"s). */
static const char *const JSON_KEYS[] = {"llm.invocation_parameters",
                                        "embedding.invocation_parameters", "input.value",
                                        "output.value", "llm.tools.0.tool.json_schema"};
#define JSON_KEY_COUNT (sizeof JSON_KEYS / sizeof JSON_KEYS[0])

TEST(openai_plain_text) {
    arena_t a = ARENA_INIT;
    bt_item item = make_item(&a, &provider_openai, OPENAI_PLAIN_REQUEST, OPENAI_PLAIN_RESULT);
    span_t span = item_span(&a, &convention_openinference, &item, "batch_abc", false);
    CHECK_MAP(&span,
        "openinference.span.kind=LLM\n"
        "llm.system=openai\n"
        "llm.provider=openai\n"
        "llm.model_name=gpt-4o-mini-2024-07-18\n"
        "llm.invocation_parameters={\"max_tokens\":16,\"temperature\":0}\n"
        "llm.input_messages.0.message.role=user\n"
        "llm.input_messages.0.message.content=Say hello\n"
        "llm.output_messages.0.message.role=assistant\n"
        "llm.output_messages.0.message.content=Hello!\n"
        "llm.token_count.prompt:int=9\n"
        "llm.token_count.completion:int=2\n"
        "llm.token_count.total:int=11\n"
        "input.value={\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\""
        "Say hello\"}],\"max_tokens\":16,\"temperature\":0}\n"
        "input.mime_type=application/json\n"
        "output.value={\"id\":\"chatcmpl-A\",\"object\":\"chat.completion\",\"created\":1767225"
        "600,\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[{\"index\":0,\"message\":{\"role"
        "\":\"assistant\",\"content\":\"Hello!\"},\"finish_reason\":\"stop\"}],\"usage\":{\"pro"
        "mpt_tokens\":9,\"completion_tokens\":2,\"total_tokens\":11}}\n"
        "output.mime_type=application/json\n");
    CHECK_INT(check_json_values(&span, JSON_KEYS, JSON_KEY_COUNT), 3);
    arena_free(&a);
}

TEST(openai_tool_calls_in_and_out_with_cached_and_reasoning_tokens) {
    arena_t a = ARENA_INIT;
    bt_item item = make_item(&a, &provider_openai, OPENAI_TOOLS_REQUEST, OPENAI_TOOLS_RESULT);
    span_t span = item_span(&a, &convention_openinference, &item, "batch_abc", false);
    CHECK_MAP(&span,
        "openinference.span.kind=LLM\n"
        "llm.system=openai\n"
        "llm.provider=openai\n"
        "llm.model_name=o4-mini-2025-04-16\n"
        "llm.invocation_parameters={\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\""
        "get_weather\",\"description\":\"Get the weather\",\"parameters\":{\"type\":\"object\"}"
        "}}],\"tool_choice\":\"auto\",\"reasoning_effort\":\"low\",\"max_completion_tokens\":25"
        "6}\n"
        "llm.input_messages.0.message.role=system\n"
        "llm.input_messages.0.message.content=You are terse.\n"
        "llm.input_messages.1.message.role=user\n"
        "llm.input_messages.1.message.content=Weather in Paris?\n"
        "llm.input_messages.2.message.role=assistant\n"
        "llm.input_messages.2.message.tool_calls.0.tool_call.id=call_1\n"
        "llm.input_messages.2.message.tool_calls.0.tool_call.function.name=get_weather\n"
        "llm.input_messages.2.message.tool_calls.0.tool_call.function.arguments={\"city\":\"Par"
        "is\"}\n"
        "llm.input_messages.3.message.role=tool\n"
        "llm.input_messages.3.message.content=rainy, 57°F\n"
        "llm.input_messages.3.message.tool_call_id=call_1\n"
        "llm.output_messages.0.message.role=assistant\n"
        "llm.output_messages.0.message.content=Checking.\n"
        "llm.output_messages.0.message.tool_calls.0.tool_call.id=call_2\n"
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.name=get_weather\n"
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments={\"city\":\"Ly"
        "on\"}\n"
        "llm.tools.0.tool.json_schema={\"type\":\"function\",\"function\":{\"name\":\"get_weath"
        "er\",\"description\":\"Get the weather\",\"parameters\":{\"type\":\"object\"}}}\n"
        "llm.token_count.prompt:int=50\n"
        "llm.token_count.completion:int=20\n"
        "llm.token_count.total:int=70\n"
        "llm.token_count.prompt_details.cache_read:int=10\n"
        "llm.token_count.completion_details.reasoning:int=8\n"
        "input.value={\"model\":\"o4-mini\",\"messages\":[{\"role\":\"system\",\"content\":\"Yo"
        "u are terse.\"},{\"role\":\"user\",\"content\":\"Weather in Paris?\"},{\"role\":\"assi"
        "stant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\",\"fu"
        "nction\":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"rainy, 57°F\"}],\"tools\""
        ":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"description\":\"Get "
        "the weather\",\"parameters\":{\"type\":\"object\"}}}],\"tool_choice\":\"auto\",\"reaso"
        "ning_effort\":\"low\",\"max_completion_tokens\":256}\n"
        "input.mime_type=application/json\n"
        "output.value={\"id\":\"chatcmpl-B\",\"object\":\"chat.completion\",\"model\":\"o4-mini"
        "-2025-04-16\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content"
        "\":\"Checking.\",\"tool_calls\":[{\"id\":\"call_2\",\"type\":\"function\",\"function\""
        ":{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Lyon\\\"}\"}}]},\"finish_"
        "reason\":\"tool_calls\"}],\"usage\":{\"prompt_tokens\":50,\"completion_tokens\":20,\"t"
        "otal_tokens\":70,\"prompt_tokens_details\":{\"cached_tokens\":10},\"completion_tokens_"
        "details\":{\"reasoning_tokens\":8}}}\n"
        "output.mime_type=application/json\n");
    CHECK_INT(check_json_values(&span, JSON_KEYS, JSON_KEY_COUNT), 4);
    arena_free(&a);
}

TEST(anthropic_system_thinking_and_cache_tokens) {
    arena_t a = ARENA_INIT;
    bt_item item = make_item(&a, &provider_anthropic, ANTHROPIC_THINKING_REQUEST,
                             ANTHROPIC_THINKING_RESULT);
    span_t span = item_span(&a, &convention_openinference, &item, "msgbatch_1", false);
    CHECK_MAP(&span,
        "openinference.span.kind=LLM\n"
        "llm.system=anthropic\n"
        "llm.provider=anthropic\n"
        "llm.model_name=claude-sonnet-4-5-20250929\n"
        "llm.invocation_parameters={\"max_tokens\":1024,\"thinking\":{\"type\":\"enabled\",\"bu"
        "dget_tokens\":512},\"tools\":[{\"name\":\"calculator\",\"description\":\"Evaluates ari"
        "thmetic\",\"input_schema\":{\"type\":\"object\"}}]}\n"
        "llm.input_messages.0.message.role=system\n"
        "llm.input_messages.0.message.content=Be precise.\n"
        "llm.input_messages.1.message.role=user\n"
        "llm.input_messages.1.message.content=What is 6*7? Use the calculator.\n"
        "llm.output_messages.0.message.role=assistant\n"
        "llm.output_messages.0.message.contents.0.message_content.type=reasoning\n"
        "llm.output_messages.0.message.contents.0.message_content.text=I should call the calcul"
        "ator.\n"
        "llm.output_messages.0.message.contents.1.message_content.type=text\n"
        "llm.output_messages.0.message.contents.1.message_content.text=Let me compute.\n"
        "llm.output_messages.0.message.tool_calls.0.tool_call.id=toolu_1\n"
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.name=calculator\n"
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments={\"expr\":\"6*"
        "7\"}\n"
        "llm.tools.0.tool.json_schema={\"type\":\"function\",\"function\":{\"name\":\"calculato"
        "r\",\"description\":\"Evaluates arithmetic\",\"parameters\":{\"type\":\"object\"}}}\n"
        "llm.token_count.prompt:int=150\n"
        "llm.token_count.completion:int=40\n"
        "llm.token_count.total:int=190\n"
        "llm.token_count.prompt_details.cache_read:int=30\n"
        "llm.token_count.prompt_details.cache_write:int=20\n"
        "input.value={\"model\":\"claude-sonnet-4-5\",\"max_tokens\":1024,\"system\":\"Be preci"
        "se.\",\"thinking\":{\"type\":\"enabled\",\"budget_tokens\":512},\"messages\":[{\"role"
        "\":\"user\",\"content\":\"What is 6*7? Use the calculator.\"}],\"tools\":[{\"name\":\""
        "calculator\",\"description\":\"Evaluates arithmetic\",\"input_schema\":{\"type\":\"obj"
        "ect\"}}]}\n"
        "input.mime_type=application/json\n"
        "output.value={\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"model\":"
        "\"claude-sonnet-4-5-20250929\",\"content\":[{\"type\":\"thinking\",\"thinking\":\"I sh"
        "ould call the calculator.\",\"signature\":\"sig\"},{\"type\":\"text\",\"text\":\"Let m"
        "e compute.\"},{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"calculator\",\"inpu"
        "t\":{\"expr\":\"6*7\"}}],\"stop_reason\":\"tool_use\",\"stop_sequence\":null,\"usage\""
        ":{\"input_tokens\":100,\"output_tokens\":40,\"cache_read_input_tokens\":30,\"cache_cre"
        "ation_input_tokens\":20}}\n"
        "output.mime_type=application/json\n");
    CHECK_INT(check_json_values(&span, JSON_KEYS, JSON_KEY_COUNT), 4);
    arena_free(&a);
}

TEST(openai_error_has_no_output) {
    arena_t a = ARENA_INIT;
    bt_item item = make_item(&a, &provider_openai, OPENAI_ERROR_REQUEST, OPENAI_ERROR_RESULT);
    span_t span = item_span(&a, &convention_openinference, &item, "batch_abc", false);
    CHECK_MAP(&span,
        "openinference.span.kind=LLM\n"
        "llm.system=openai\n"
        "llm.provider=openai\n"
        "llm.model_name=gpt-4o\n"
        "llm.invocation_parameters={}\n"
        "llm.input_messages.0.message.role=user\n"
        "llm.input_messages.0.message.content=Summarize War and Peace\n"
        "input.value={\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Summa"
        "rize War and Peace\"}]}\n"
        "input.mime_type=application/json\n");
    arena_free(&a);
}

TEST(anthropic_expired_item_without_response) {
    arena_t a = ARENA_INIT;
    bt_item item = make_item(&a, &provider_anthropic, ANTHROPIC_EXPIRED_REQUEST,
                             ANTHROPIC_EXPIRED_RESULT);
    span_t span = item_span(&a, &convention_openinference, &item, "", false);
    CHECK_MAP(&span,
        "openinference.span.kind=LLM\n"
        "llm.system=anthropic\n"
        "llm.provider=anthropic\n"
        "llm.model_name=claude-haiku-4-5\n"
        "llm.invocation_parameters={\"max_tokens\":64}\n"
        "llm.input_messages.0.message.role=user\n"
        "llm.input_messages.0.message.content=Ping\n"
        "input.value={\"model\":\"claude-haiku-4-5\",\"max_tokens\":64,\"messages\":[{\"role\":"
        "\"user\",\"content\":\"Ping\"}]}\n"
        "input.mime_type=application/json\n");
    arena_free(&a);
}

TEST(openai_embeddings_are_an_embedding_span) {
    arena_t a = ARENA_INIT;
    bt_item item =
        make_item(&a, &provider_openai, OPENAI_EMBEDDING_REQUEST, OPENAI_EMBEDDING_RESULT);
    span_t span = item_span(&a, &convention_openinference, &item, "batch_abc", false);
    CHECK_MAP(&span,
        "openinference.span.kind=EMBEDDING\n"
        "llm.system=openai\n"
        "llm.provider=openai\n"
        "embedding.model_name=text-embedding-3-small\n"
        "embedding.invocation_parameters={\"encoding_format\":\"float\"}\n"
        "llm.token_count.prompt:int=4\n"
        "llm.token_count.total:int=4\n"
        "input.value={\"model\":\"text-embedding-3-small\",\"input\":[\"alpha\",\"beta\"],\"enc"
        "oding_format\":\"float\"}\n"
        "input.mime_type=application/json\n");
    CHECK_INT(check_json_values(&span, JSON_KEYS, JSON_KEY_COUNT), 2);
    arena_free(&a);
}

TEST(no_content_keeps_roles_tokens_and_parameters_only) {
    arena_t a = ARENA_INIT;
    bt_item tools = make_item(&a, &provider_openai, OPENAI_TOOLS_REQUEST, OPENAI_TOOLS_RESULT);
    span_t span = item_span(&a, &convention_openinference, &tools, "batch_abc", true);
    CHECK_MAP(&span,
        "openinference.span.kind=LLM\n"
        "llm.system=openai\n"
        "llm.provider=openai\n"
        "llm.model_name=o4-mini-2025-04-16\n"
        "llm.invocation_parameters={\"tool_choice\":\"auto\",\"reasoning_effort\":\"low\",\"max"
        "_completion_tokens\":256}\n"
        "llm.input_messages.0.message.role=system\n"
        "llm.input_messages.1.message.role=user\n"
        "llm.input_messages.2.message.role=assistant\n"
        "llm.input_messages.3.message.role=tool\n"
        "llm.output_messages.0.message.role=assistant\n"
        "llm.token_count.prompt:int=50\n"
        "llm.token_count.completion:int=20\n"
        "llm.token_count.total:int=70\n"
        "llm.token_count.prompt_details.cache_read:int=10\n"
        "llm.token_count.completion_details.reasoning:int=8\n");
    bt_item thinking = make_item(&a, &provider_anthropic, ANTHROPIC_THINKING_REQUEST,
                                 ANTHROPIC_THINKING_RESULT);
    span = item_span(&a, &convention_openinference, &thinking, "msgbatch_1", true);
    CHECK_MAP(&span,
        "openinference.span.kind=LLM\n"
        "llm.system=anthropic\n"
        "llm.provider=anthropic\n"
        "llm.model_name=claude-sonnet-4-5-20250929\n"
        "llm.invocation_parameters={\"max_tokens\":1024,\"thinking\":{\"type\":\"enabled\",\"bu"
        "dget_tokens\":512}}\n"
        "llm.input_messages.0.message.role=system\n"
        "llm.input_messages.1.message.role=user\n"
        "llm.output_messages.0.message.role=assistant\n"
        "llm.token_count.prompt:int=150\n"
        "llm.token_count.completion:int=40\n"
        "llm.token_count.total:int=190\n"
        "llm.token_count.prompt_details.cache_read:int=30\n"
        "llm.token_count.prompt_details.cache_write:int=20\n");
    arena_free(&a);
}

TEST(task_is_a_chain_describing_the_batch) {
    arena_t a = ARENA_INIT;
    task_totals totals = openai_task_totals();
    span_t span = task_span(&a, &convention_openinference, &totals, "openai.batch");
    CHECK_MAP(&span,
        "openinference.span.kind=CHAIN\n"
        "input.value={\"provider\":\"openai\",\"batch_id\":\"batch_abc\",\"endpoint\":\"/v1/cha"
        "t/completions\",\"models\":[\"gpt-4o\",\"gpt-4o-mini\"]}\n"
        "input.mime_type=application/json\n"
        "output.value={\"batch_status\":\"completed\",\"request_counts\":{\"total\":5,\"succeed"
        "ed\":3,\"errored\":1,\"canceled\":0,\"expired\":1,\"missing\":0}}\n"
        "output.mime_type=application/json\n");
    CHECK_INT(check_json_values(&span, JSON_KEYS, JSON_KEY_COUNT), 2);
    arena_free(&a);
}

TEST(run_time_keys_live_in_the_span_arena) {
    arena_t a = ARENA_INIT;
    bt_item item = make_item(&a, &provider_openai, OPENAI_TOOLS_REQUEST, OPENAI_TOOLS_RESULT);
    arena_t span_arena = ARENA_INIT;
    span_t span = item_span(&span_arena, &convention_openinference, &item, "", false);
    const span_attr *role = span_attr_find(&span, "llm.input_messages.3.message.role");
    CHECK(role != NULL);
    if (role) CHECK_BTSTR(role->s, "tool");
    arena_free(&span_arena);
    arena_free(&a);
}

TEST(compact_bodies_are_borrowed_and_others_compacted) {
    arena_t a = ARENA_INIT;
    bt_item item = make_item(&a, &provider_openai, OPENAI_PLAIN_REQUEST, OPENAI_PLAIN_RESULT);
    span_t span = item_span(&a, &convention_openinference, &item, "", false);
    const span_attr *input = span_attr_find(&span, "input.value");
    CHECK(input && input->s.ptr == item.request_body.ptr &&
          input->s.len == item.request_body.len);
    /* whitespace between tokens goes; inside strings (after escaped quotes and backslashes)
     * it stays */
    item.request_body = str_c("{ \"a\\\\\" : [ \"x \\\" y\" ,\n\t1 ] ,\r\n \"b\": \"\\\\\" }");
    span = item_span(&a, &convention_openinference, &item, "", false);
    input = span_attr_find(&span, "input.value");
    CHECK(input != NULL);
    if (input) CHECK_BTSTR(input->s, "{\"a\\\\\":[\"x \\\" y\",1],\"b\":\"\\\\\"}");
    arena_free(&a);
}

int main(void) {
    RUN(openai_plain_text);
    RUN(openai_tool_calls_in_and_out_with_cached_and_reasoning_tokens);
    RUN(anthropic_system_thinking_and_cache_tokens);
    RUN(openai_error_has_no_output);
    RUN(anthropic_expired_item_without_response);
    RUN(openai_embeddings_are_an_embedding_span);
    RUN(no_content_keeps_roles_tokens_and_parameters_only);
    RUN(task_is_a_chain_describing_the_batch);
    RUN(run_time_keys_live_in_the_span_arena);
    RUN(compact_bodies_are_borrowed_and_others_compacted);
    TEST_MAIN_END();
}
