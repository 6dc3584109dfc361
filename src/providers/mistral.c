/* Mistral AI batch inference (provider mistral_ai): its input and output lines are
 * OpenAI's ({custom_id, body} in, {id, custom_id, response:{status_code, body}, error}
 * out; the endpoint is the job's, so a line without url is read as the job's chat
 * completions), read by the OpenAI provider; its job object is its own: {id,
 * object:"batch", endpoint, model, status QUEUED|RUNNING|SUCCESS|FAILED|TIMEOUT_EXCEEDED|
 * CANCELLATION_REQUESTED|CANCELLED, created_at, started_at, completed_at (unix seconds),
 * total_requests, succeeded_requests, failed_requests, output_file, error_file, errors
 * [{message, count}], metadata}. */
#include <inttypes.h>
#include <string.h>

#include "providers/provider.h"
#include "providers/record.h"
#include "util/timeutil.h"

/* Map a job status to a batch_state; -1 for an unknown one. */
static int classify_status(bt_str status, batch_state *out) {
    static const struct { const char *status; batch_state state; } statuses[] = {
        {"QUEUED", BATCH_RUNNING},       {"RUNNING", BATCH_RUNNING},
        {"CANCELLATION_REQUESTED", BATCH_RUNNING},
        {"SUCCESS", BATCH_COMPLETED},    {"FAILED", BATCH_FAILED},
        {"TIMEOUT_EXCEEDED", BATCH_EXPIRED}, {"CANCELLED", BATCH_CANCELLED},
    };
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        if (str_eq_c(status, statuses[i].status)) {
            *out = statuses[i].state;
            return 0;
        }
    }
    return -1;
}

/* Read the optional unix-seconds member key of obj into *out_ns (left alone when absent). */
static int seconds_field(const record_ctx *c, int obj, const char *key, int64_t *out_ns) {
    opt_i64 seconds = {false, 0};
    if (rec_int(c, json_get(c->doc, obj, key), key, &seconds) < 0) return -1;
    if (seconds.has && time_from_unix_seconds(seconds.value, out_ns) < 0)
        return fail(c->reason, "\"%s\" is out of range: %" PRId64, key, seconds.value);
    return 0;
}

/* Read errors[{message, count}] into batch->errors (code: the status). */
static void read_errors(const record_ctx *c, int errors, batch_info *batch) {
    int count = json_count(c->doc, errors);
    if (count <= 0) return;
    batch->errors = arena_calloc(c->arena, (size_t)count, sizeof *batch->errors);
    for (int entry = json_first(c->doc, errors), i = 0; i < count;
         entry = json_next(c->doc, entry), i++) {
        if (!rec_is(c, entry, JSON_OBJECT)) continue;
        batch_error *error = &batch->errors[batch->error_count++];
        error->code = batch->status;
        error->message = rec_str_field(c, entry, "message", NULL);
    }
}

/* provider_ops.parse_batch: the job object. */
static int mistral_parse_batch(const json_doc *doc, int root, arena_t *a, batch_info *batch,
                               char *reason) {
    record_ctx c = {doc, a, reason};
    if (!rec_is(&c, root, JSON_OBJECT)) return fail(reason, "record is not a JSON object");
    batch->id = rec_str_field(&c, root, "id", NULL);
    if (!batch->id.len) return fail(reason, "missing \"id\"");
    batch->status = rec_str_field(&c, root, "status", NULL);
    if (!batch->status.len) return fail(reason, "missing \"status\"");
    if (classify_status(batch->status, &batch->state) < 0) {
        int quoted = batch->status.len > 40 ? 40 : (int)batch->status.len;
        return fail(reason, "unknown batch status \"%.*s\"", quoted, batch->status.ptr);
    }
    batch->endpoint = rec_str_field(&c, root, "endpoint", NULL);
    batch->model = rec_str_field(&c, root, "model", NULL);
    if (seconds_field(&c, root, "created_at", &batch->created_ns) < 0) return -1;
    if (batch->state != BATCH_RUNNING &&
        seconds_field(&c, root, "completed_at", &batch->terminal_ns) < 0)
        return -1;
    if (rec_int(&c, json_get(doc, root, "total_requests"), "total_requests",
                &batch->count_total) < 0 ||
        rec_int(&c, json_get(doc, root, "succeeded_requests"), "succeeded_requests",
                &batch->count_succeeded) < 0 ||
        rec_int(&c, json_get(doc, root, "failed_requests"), "failed_requests",
                &batch->count_errored) < 0)
        return -1;
    /* Every request that succeeded or failed has its line (output or error file). */
    if (batch->count_succeeded.has && batch->count_errored.has) {
        batch->count_with_line = batch->count_succeeded;
        if (!opt_add(&batch->count_with_line, batch->count_errored))
            return fail(reason, "request counts overflow int64");
    }
    batch->output_file_id = rec_str_field(&c, root, "output_file", NULL);
    batch->error_file_id = rec_str_field(&c, root, "error_file", NULL);
    int inputs = rec_get_typed(&c, root, "input_files", NULL, JSON_ARRAY);
    batch->input_file_id = rec_str(&c, json_first(doc, inputs));
    read_errors(&c, rec_get_typed(&c, root, "errors", NULL, JSON_ARRAY), batch);
    return 0;
}

/* provider_ops.is_batch: an object "batch" that counts total_requests (OpenAI's has
 * request_counts). */
static bool mistral_is_batch(const json_doc *doc, int root) {
    return json_string_eq(doc, json_get(doc, root, "object"), "batch") &&
           json_get(doc, root, "total_requests") >= 0;
}

/* provider_ops.request_custom_id, parse_request, parse_result: OpenAI's. */
static int mistral_request_custom_id(const json_doc *doc, int root, arena_t *a,
                                     bt_str *custom_id, char *reason) {
    return provider_openai.request_custom_id(doc, root, a, custom_id, reason);
}

static int mistral_parse_request(const json_doc *doc, int root, arena_t *a, bt_item *item,
                                 char *reason) {
    return provider_openai.parse_request(doc, root, a, item, reason);
}

static int mistral_parse_result(const json_doc *doc, int root, arena_t *a, bt_item *item,
                                char *reason) {
    return provider_openai.parse_result(doc, root, a, item, reason);
}

const provider_ops provider_mistral = {
    .name = "mistral_ai",
    .alias = "mistral",
    .format = "openai",
    .is_batch = mistral_is_batch,
    .request_custom_id = mistral_request_custom_id,
    .parse_request = mistral_parse_request,
    .parse_result = mistral_parse_result,
    .parse_batch = mistral_parse_batch,
};
