/* Tests of the traceloop convention: the exact OpenLLMetry attributes of OpenAI and Anthropic
 * items (plain text, tool calls, thinking, errors, cache tokens, embeddings), with and
 * without --no-content, and of the task span (a workflow); every JSON value parses. */
#include "convention_items.h"

/* The attributes whose values are JSON documents. */
static const char *const JSON_KEYS[] = {"traceloop.entity.input", "traceloop.entity.output",
                                        "llm.request.functions.0.parameters",
                                        "llm.request.functions.0.input_schema"};
#define JSON_KEY_COUNT (sizeof JSON_KEYS / sizeof JSON_KEYS[0])

TEST(openai_plain_text) {
    arena_t a = ARENA_INIT;
    bt_item item = make_item(&a, &provider_openai, OPENAI_PLAIN_REQUEST, OPENAI_PLAIN_RESULT);
    span_t span = item_span(&a, &convention_traceloop, &item, "batch_abc", false);
    CHECK_MAP(&span,
        "llm.request.type=chat\n"
        "gen_ai.system=openai\n"
        "gen_ai.prompt.0.role=user\n"
        "gen_ai.prompt.0.content=Say hello\n"
        "gen_ai.completion.0.role=assistant\n"
        "gen_ai.completion.0.content=Hello!\n"
        "gen_ai.completion.0.finish_reason=stop\n"
        "gen_ai.usage.prompt_tokens:int=9\n"
        "gen_ai.usage.completion_tokens:int=2\n"
        "llm.usage.total_tokens:int=11\n");
    arena_free(&a);
}

TEST(openai_tool_calls_in_and_out_with_cached_tokens) {
    arena_t a = ARENA_INIT;
    bt_item item = make_item(&a, &provider_openai, OPENAI_TOOLS_REQUEST, OPENAI_TOOLS_RESULT);
    span_t span = item_span(&a, &convention_traceloop, &item, "batch_abc", false);
    CHECK_MAP(&span,
        "llm.request.type=chat\n"
        "gen_ai.system=openai\n"
        "llm.request.functions.0.name=get_weather\n"
        "llm.request.functions.0.description=Get the weather\n"
        "llm.request.functions.0.parameters={\"type\":\"object\"}\n"
        "gen_ai.prompt.0.role=system\n"
        "gen_ai.prompt.0.content=You are terse.\n"
        "gen_ai.prompt.1.role=user\n"
        "gen_ai.prompt.1.content=Weather in Paris?\n"
        "gen_ai.prompt.2.role=assistant\n"
        "gen_ai.prompt.2.tool_calls.0.id=call_1\n"
        "gen_ai.prompt.2.tool_calls.0.name=get_weather\n"
        "gen_ai.prompt.2.tool_calls.0.arguments={\"city\":\"Paris\"}\n"
        "gen_ai.prompt.3.role=tool\n"
        "gen_ai.prompt.3.content=rainy, 57°F\n"
        "gen_ai.prompt.3.tool_call_id=call_1\n"
        "gen_ai.completion.0.role=assistant\n"
        "gen_ai.completion.0.content=Checking.\n"
        "gen_ai.completion.0.finish_reason=tool_calls\n"
        "gen_ai.completion.0.tool_calls.0.id=call_2\n"
        "gen_ai.completion.0.tool_calls.0.name=get_weather\n"
        "gen_ai.completion.0.tool_calls.0.arguments={\"city\":\"Lyon\"}\n"
        "gen_ai.usage.prompt_tokens:int=50\n"
        "gen_ai.usage.completion_tokens:int=20\n"
        "llm.usage.total_tokens:int=70\n"
        "gen_ai.usage.cache_read_input_tokens:int=10\n");
    CHECK_INT(check_json_values(&span, JSON_KEYS, JSON_KEY_COUNT), 1);
    arena_free(&a);
}

TEST(anthropic_thinking_is_a_completion_of_its_own) {
    arena_t a = ARENA_INIT;
    bt_item item = make_item(&a, &provider_anthropic, ANTHROPIC_THINKING_REQUEST,
                             ANTHROPIC_THINKING_RESULT);
    span_t span = item_span(&a, &convention_traceloop, &item, "msgbatch_1", false);
    CHECK_MAP(&span,
        "llm.request.type=chat\n"
        "gen_ai.system=anthropic\n"
        "llm.request.functions.0.name=calculator\n"
        "llm.request.functions.0.description=Evaluates arithmetic\n"
        "llm.request.functions.0.input_schema={\"type\":\"object\"}\n"
        "gen_ai.prompt.0.role=system\n"
        "gen_ai.prompt.0.content=Be precise.\n"
        "gen_ai.prompt.1.role=user\n"
        "gen_ai.prompt.1.content=What is 6*7? Use the calculator.\n"
        "gen_ai.completion.0.role=thinking\n"
        "gen_ai.completion.0.content=I should call the calculator.\n"
        "gen_ai.completion.1.role=assistant\n"
        "gen_ai.completion.1.content=Let me compute.\n"
        "gen_ai.completion.1.finish_reason=tool_use\n"
        "gen_ai.completion.1.tool_calls.0.id=toolu_1\n"
        "gen_ai.completion.1.tool_calls.0.name=calculator\n"
        "gen_ai.completion.1.tool_calls.0.arguments={\"expr\":\"6*7\"}\n"
        "gen_ai.usage.prompt_tokens:int=150\n"
        "gen_ai.usage.completion_tokens:int=40\n"
        "llm.usage.total_tokens:int=190\n"
        "gen_ai.usage.cache_read_input_tokens:int=30\n"
        "gen_ai.usage.cache_creation_input_tokens:int=20\n");
    CHECK_INT(check_json_values(&span, JSON_KEYS, JSON_KEY_COUNT), 1);
    arena_free(&a);
}

TEST(openai_error_has_prompts_only) {
    arena_t a = ARENA_INIT;
    bt_item item = make_item(&a, &provider_openai, OPENAI_ERROR_REQUEST, OPENAI_ERROR_RESULT);
    span_t span = item_span(&a, &convention_traceloop, &item, "batch_abc", false);
    CHECK_MAP(&span,
        "llm.request.type=chat\n"
        "gen_ai.system=openai\n"
        "gen_ai.prompt.0.role=user\n"
        "gen_ai.prompt.0.content=Summarize War and Peace\n");
    arena_free(&a);
}

TEST(anthropic_expired_item_without_response) {
    arena_t a = ARENA_INIT;
    bt_item item = make_item(&a, &provider_anthropic, ANTHROPIC_EXPIRED_REQUEST,
                             ANTHROPIC_EXPIRED_RESULT);
    span_t span = item_span(&a, &convention_traceloop, &item, "", false);
    CHECK_MAP(&span,
        "llm.request.type=chat\n"
        "gen_ai.system=anthropic\n"
        "gen_ai.prompt.0.role=user\n"
        "gen_ai.prompt.0.content=Ping\n");
    arena_free(&a);
}

TEST(openai_embeddings_request_type) {
    arena_t a = ARENA_INIT;
    bt_item item =
        make_item(&a, &provider_openai, OPENAI_EMBEDDING_REQUEST, OPENAI_EMBEDDING_RESULT);
    span_t span = item_span(&a, &convention_traceloop, &item, "batch_abc", false);
    CHECK_MAP(&span,
        "llm.request.type=embedding\n"
        "gen_ai.system=openai\n"
        "gen_ai.usage.prompt_tokens:int=4\n"
        "llm.usage.total_tokens:int=4\n");
    arena_free(&a);
}

TEST(no_content_keeps_roles_finish_reasons_and_tokens) {
    arena_t a = ARENA_INIT;
    bt_item tools = make_item(&a, &provider_openai, OPENAI_TOOLS_REQUEST, OPENAI_TOOLS_RESULT);
    span_t span = item_span(&a, &convention_traceloop, &tools, "batch_abc", true);
    CHECK_MAP(&span,
        "llm.request.type=chat\n"
        "gen_ai.system=openai\n"
        "gen_ai.prompt.0.role=system\n"
        "gen_ai.prompt.1.role=user\n"
        "gen_ai.prompt.2.role=assistant\n"
        "gen_ai.prompt.3.role=tool\n"
        "gen_ai.completion.0.role=assistant\n"
        "gen_ai.completion.0.finish_reason=tool_calls\n"
        "gen_ai.usage.prompt_tokens:int=50\n"
        "gen_ai.usage.completion_tokens:int=20\n"
        "llm.usage.total_tokens:int=70\n"
        "gen_ai.usage.cache_read_input_tokens:int=10\n");
    bt_item thinking = make_item(&a, &provider_anthropic, ANTHROPIC_THINKING_REQUEST,
                                 ANTHROPIC_THINKING_RESULT);
    span = item_span(&a, &convention_traceloop, &thinking, "msgbatch_1", true);
    CHECK_MAP(&span,
        "llm.request.type=chat\n"
        "gen_ai.system=anthropic\n"
        "gen_ai.prompt.0.role=system\n"
        "gen_ai.prompt.1.role=user\n"
        "gen_ai.completion.0.role=thinking\n"
        "gen_ai.completion.1.role=assistant\n"
        "gen_ai.completion.1.finish_reason=tool_use\n"
        "gen_ai.usage.prompt_tokens:int=150\n"
        "gen_ai.usage.completion_tokens:int=40\n"
        "llm.usage.total_tokens:int=190\n"
        "gen_ai.usage.cache_read_input_tokens:int=30\n"
        "gen_ai.usage.cache_creation_input_tokens:int=20\n");
    arena_free(&a);
}

TEST(task_is_a_workflow_describing_the_batch) {
    arena_t a = ARENA_INIT;
    task_totals totals = openai_task_totals();
    span_t span = task_span(&a, &convention_traceloop, &totals, "openai.batch");
    CHECK_MAP(&span,
        "traceloop.span.kind=workflow\n"
        "traceloop.entity.name=openai.batch\n"
        "traceloop.workflow.name=openai.batch\n"
        "traceloop.entity.input={\"provider\":\"openai\",\"batch_id\":\"batch_abc\",\"endpoint"
        "\":\"/v1/chat/completions\",\"models\":[\"gpt-4o\",\"gpt-4o-mini\"]}\n"
        "traceloop.entity.output={\"batch_status\":\"completed\",\"request_counts\":{\"total\":"
        "5,\"succeeded\":3,\"errored\":1,\"canceled\":0,\"expired\":1,\"missing\":0}}\n");
    CHECK_INT(check_json_values(&span, JSON_KEYS, JSON_KEY_COUNT), 2);
    arena_free(&a);
}

int main(void) {
    RUN(openai_plain_text);
    RUN(openai_tool_calls_in_and_out_with_cached_tokens);
    RUN(anthropic_thinking_is_a_completion_of_its_own);
    RUN(openai_error_has_prompts_only);
    RUN(anthropic_expired_item_without_response);
    RUN(openai_embeddings_request_type);
    RUN(no_content_keeps_roles_finish_reasons_and_tokens);
    RUN(task_is_a_workflow_describing_the_batch);
    TEST_MAIN_END();
}
