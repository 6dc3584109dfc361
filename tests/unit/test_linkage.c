/* Tests of the linkage convention: the exact batchtrace.* attributes of items and tasks. */
#include "conventions/convention.h"
#include "test.h"
#include "util/arena.h"

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
#define CHECK_KEYS(span, ...)                                                   \
    CHECK(keys_are((span), (const char *const[]){__VA_ARGS__},                  \
                   sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *)))

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

TEST(item_links_batch_custom_id_endpoint_and_result) {
    arena_t a = ARENA_INIT;
    span_t span;
    span_init(&span, &a);
    bt_item item = {0};
    item.provider = "openai";
    item.custom_id = str_c("req-42");
    item.endpoint = str_c("/v1/chat/completions");
    item.result = RESULT_SUCCEEDED;
    convention_ctx ctx = {str_c("batch_abc123"), false};
    convention_linkage.item(&span, &item, &ctx);

    CHECK_KEYS(&span, "batchtrace.batch.id", "batchtrace.custom_id", "batchtrace.endpoint",
               "batchtrace.result");
    CHECK_ATTR_STR(&span, "batchtrace.batch.id", "batch_abc123");
    CHECK_ATTR_STR(&span, "batchtrace.custom_id", "req-42");
    CHECK_ATTR_STR(&span, "batchtrace.endpoint", "/v1/chat/completions");
    CHECK_ATTR_STR(&span, "batchtrace.result", "succeeded");
    arena_free(&a);
}

TEST(item_without_batch_id_or_endpoint_and_with_missing_input) {
    arena_t a = ARENA_INIT;
    span_t span;
    span_init(&span, &a);
    bt_item item = {0};
    item.provider = "anthropic";
    item.custom_id = str_c("orphan");
    item.result = RESULT_ERRORED;
    item.input_missing = true;
    convention_ctx ctx = {STR_NULL, true};
    convention_linkage.item(&span, &item, &ctx);

    CHECK_KEYS(&span, "batchtrace.custom_id", "batchtrace.result", "batchtrace.input_missing");
    CHECK_ATTR_STR(&span, "batchtrace.custom_id", "orphan");
    CHECK_ATTR_STR(&span, "batchtrace.result", "errored");
    const span_attr *missing = span_attr_find(&span, "batchtrace.input_missing");
    CHECK(missing != NULL);
    if (missing) {
        CHECK_INT(missing->type, ATTR_BOOL);
        CHECK(missing->b == true);
    }
    arena_free(&a);
}

TEST(item_result_names_every_outcome) {
    static const struct {
        item_result result;
        const char *name;
    } cases[] = {{RESULT_SUCCEEDED, "succeeded"}, {RESULT_ERRORED, "errored"},
                 {RESULT_CANCELED, "canceled"},   {RESULT_EXPIRED, "expired"},
                 {RESULT_MISSING, "missing"}};
    arena_t a = ARENA_INIT;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        span_t span;
        span_init(&span, &a);
        bt_item item = {0};
        item.custom_id = str_c("x");
        item.result = cases[i].result;
        convention_ctx ctx = {STR_NULL, false};
        convention_linkage.item(&span, &item, &ctx);
        CHECK_ATTR_STR(&span, "batchtrace.result", cases[i].name);
        CHECK(span_attr_find(&span, "batchtrace.input_missing") == NULL);
    }
    arena_free(&a);
}

TEST(task_carries_batch_status_and_every_request_count) {
    arena_t a = ARENA_INIT;
    span_t span;
    span_init(&span, &a);
    task_totals totals = {0};
    totals.provider = "openai";
    totals.batch_id = str_c("batch_abc123");
    totals.endpoint = str_c("/v1/chat/completions");
    totals.batch_status = str_c("completed");
    totals.total = 10;
    totals.succeeded = 5;
    totals.errored = 2;
    totals.canceled = 1;
    totals.expired = 1;
    totals.missing = 1;
    convention_ctx ctx = {str_c("batch_abc123"), false};
    convention_linkage.task(&span, &totals, &ctx);

    CHECK_KEYS(&span, "batchtrace.batch.id", "batchtrace.endpoint", "batchtrace.batch.status",
               "batchtrace.batch.request_counts.total",
               "batchtrace.batch.request_counts.succeeded",
               "batchtrace.batch.request_counts.errored",
               "batchtrace.batch.request_counts.canceled",
               "batchtrace.batch.request_counts.expired",
               "batchtrace.batch.request_counts.missing");
    CHECK_ATTR_STR(&span, "batchtrace.batch.id", "batch_abc123");
    CHECK_ATTR_STR(&span, "batchtrace.endpoint", "/v1/chat/completions");
    CHECK_ATTR_STR(&span, "batchtrace.batch.status", "completed");
    CHECK_ATTR_INT(&span, "batchtrace.batch.request_counts.total", 10);
    CHECK_ATTR_INT(&span, "batchtrace.batch.request_counts.succeeded", 5);
    CHECK_ATTR_INT(&span, "batchtrace.batch.request_counts.errored", 2);
    CHECK_ATTR_INT(&span, "batchtrace.batch.request_counts.canceled", 1);
    CHECK_ATTR_INT(&span, "batchtrace.batch.request_counts.expired", 1);
    CHECK_ATTR_INT(&span, "batchtrace.batch.request_counts.missing", 1);
    arena_free(&a);
}

TEST(task_without_batch_object_still_has_zero_counts) {
    arena_t a = ARENA_INIT;
    span_t span;
    span_init(&span, &a);
    task_totals totals = {0};
    totals.provider = "anthropic";
    totals.total = 3;
    totals.succeeded = 3;
    convention_ctx ctx = {STR_NULL, false};
    convention_linkage.task(&span, &totals, &ctx);

    CHECK_KEYS(&span, "batchtrace.batch.request_counts.total",
               "batchtrace.batch.request_counts.succeeded",
               "batchtrace.batch.request_counts.errored",
               "batchtrace.batch.request_counts.canceled",
               "batchtrace.batch.request_counts.expired",
               "batchtrace.batch.request_counts.missing");
    CHECK_ATTR_INT(&span, "batchtrace.batch.request_counts.total", 3);
    CHECK_ATTR_INT(&span, "batchtrace.batch.request_counts.succeeded", 3);
    CHECK_ATTR_INT(&span, "batchtrace.batch.request_counts.errored", 0);
    CHECK_ATTR_INT(&span, "batchtrace.batch.request_counts.missing", 0);
    arena_free(&a);
}

/* A failed batch's file ids, metadata (batchtrace's own key already left out by the
 * parser) and errors go on the task; a provisional task says so. */
TEST(task_carries_file_ids_metadata_errors_and_provisional) {
    arena_t a = ARENA_INIT;
    span_t span;
    span_init(&span, &a);
    batch_error errors[2] = {
        {.code = str_c("invalid_json_line"), .message = str_c("Line 2 is not \"JSON\"."),
         .line = {true, 2}},
        {.code = str_c("token_limit_exceeded"), .param = str_c("model")},
    };
    task_totals totals = {0};
    totals.provider = "openai";
    totals.input_file_id = str_c("file-in");
    totals.output_file_id = str_c("file-out");
    totals.error_file_id = str_c("file-err");
    totals.metadata = str_c("{ \"job\": \"tags\" }");
    totals.errors = errors;
    totals.error_count = 2;
    totals.provisional = true;
    convention_ctx ctx = {STR_NULL, false};
    convention_linkage.task(&span, &totals, &ctx);

    CHECK_ATTR_STR(&span, "batchtrace.batch.input_file_id", "file-in");
    CHECK_ATTR_STR(&span, "batchtrace.batch.output_file_id", "file-out");
    CHECK_ATTR_STR(&span, "batchtrace.batch.error_file_id", "file-err");
    CHECK_ATTR_STR(&span, "batchtrace.batch.metadata", "{\"job\":\"tags\"}");
    CHECK_ATTR_STR(&span, "batchtrace.batch.errors",
                   "[{\"code\":\"invalid_json_line\",\"message\":\"Line 2 is not \\\"JSON\\\".\","
                   "\"line\":2},{\"code\":\"token_limit_exceeded\",\"param\":\"model\"}]");
    const span_attr *provisional = span_attr_find(&span, "batchtrace.task.provisional");
    CHECK(provisional != NULL && provisional->type == ATTR_BOOL && provisional->b);
    arena_free(&a);
}

/* An item keeps its result line's id, the request's tool_choice (compacted) and the failed
 * batch's error that names its input line. */
TEST(item_carries_line_id_tool_choice_and_batch_error) {
    arena_t a = ARENA_INIT;
    span_t span;
    span_init(&span, &a);
    batch_error error = {.code = str_c("invalid_json_line"), .message = str_c("bad"),
                         .line = {true, 3}};
    bt_item item = {0};
    item.custom_id = str_c("req-3");
    item.result = RESULT_MISSING;
    item.line_id = str_c("batch_req_9");
    item.tool_choice = str_c("{ \"type\": \"auto\" }");
    item.tool_choice_is_json = true;
    item.batch_error = &error;
    convention_ctx ctx = {STR_NULL, false};
    convention_linkage.item(&span, &item, &ctx);

    CHECK_KEYS(&span, "batchtrace.custom_id", "batchtrace.result", "batchtrace.line_id",
               "batchtrace.request.tool_choice", "batchtrace.batch.error.code",
               "batchtrace.batch.error.message", "batchtrace.batch.error.line");
    CHECK_ATTR_STR(&span, "batchtrace.request.tool_choice", "{\"type\":\"auto\"}");
    CHECK_ATTR_INT(&span, "batchtrace.batch.error.line", 3);
    arena_free(&a);
}

TEST(conventions_are_named_for_the_command_line) {
    CHECK_STR(convention_linkage.name, "linkage");
    CHECK_STR(convention_genai.name, "genai");
}

int main(void) {
    RUN(item_links_batch_custom_id_endpoint_and_result);
    RUN(item_without_batch_id_or_endpoint_and_with_missing_input);
    RUN(item_result_names_every_outcome);
    RUN(task_carries_batch_status_and_every_request_count);
    RUN(task_without_batch_object_still_has_zero_counts);
    RUN(task_carries_file_ids_metadata_errors_and_provisional);
    RUN(item_carries_line_id_tool_choice_and_batch_error);
    RUN(conventions_are_named_for_the_command_line);
    TEST_MAIN_END();
}
