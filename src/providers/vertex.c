/* Vertex AI batch prediction (provider gcp.vertex_ai): input lines {request, ...} (Gemini
 * GenerateContentRequest) or {custom_id, request} (Claude, a Messages body with
 * anthropic_version "vertex-..."), output lines that echo them with response and status
 * ("" on success, else the error), processed_time, and the BatchPredictionJob as the batch.
 *
 * Vertex gives Gemini requests no id, and its output is not in input order, so a line is
 * matched by the id the user gave it: a top-level custom_id (Vertex passes extra fields
 * through; Claude requires it), else request.labels.custom_id (Gemini's labels). A line with
 * neither is rejected, saying so. The echoed request fills the request side, so the results
 * alone describe every item. */
#include <string.h>

#include "providers/anthropic.h"
#include "providers/gemini.h"
#include "providers/provider.h"
#include "providers/record.h"

#define VERTEX_ENDPOINT "batchPredictionJobs"

/* Whether request is a Claude Messages body rather than a Gemini request. */
static bool is_claude(const record_ctx *c, int request) {
    return json_get(c->doc, request, "anthropic_version") >= 0 ||
           (json_get(c->doc, request, "messages") >= 0 &&
            json_get(c->doc, request, "contents") < 0);
}

/* The id of a line: custom_id, else request.labels.custom_id. */
static int line_id(const record_ctx *c, int root, bt_str *id) {
    int tok = json_get(c->doc, root, "custom_id");
    if (!rec_present(c, tok)) {
        int labels = rec_get_typed(c, json_get(c->doc, root, "request"), "labels", NULL,
                                   JSON_OBJECT);
        tok = json_get(c->doc, labels, "custom_id");
    }
    if (!rec_present(c, tok))
        return fail(c->reason, "no \"custom_id\" nor \"request.labels.custom_id\": Vertex AI "
                               "gives lines no id of their own; add one to each input line");
    if (!rec_is(c, tok, JSON_STRING) || !(*id = rec_str(c, tok)).len)
        return fail(c->reason, "the custom_id is not a non-empty string");
    return 0;
}

/* Fill the request side from the line's request (Claude or Gemini). */
static int read_request(const record_ctx *c, int request, bt_item *item) {
    int rc = rec_is(c, request, JSON_OBJECT) && is_claude(c, request)
                 ? anthropic_read_params(c->doc, request, c->arena, item, c->reason)
                 : gemini_read_request(c, request, item);
    item->endpoint = STR_LIT(VERTEX_ENDPOINT);
    return rc;
}

/* provider_ops.request_custom_id. */
static int vertex_request_custom_id(const json_doc *doc, int root, arena_t *a,
                                    bt_str *custom_id, char *reason) {
    record_ctx c = {doc, a, reason};
    if (!rec_is(&c, root, JSON_OBJECT)) return fail(reason, "record is not a JSON object");
    return line_id(&c, root, custom_id);
}

/* provider_ops.parse_request: the request side, unless the result's echoed request has
 * filled it already (the same body). */
static int vertex_parse_request(const json_doc *doc, int root, arena_t *a, bt_item *item,
                                char *reason) {
    record_ctx c = {doc, a, reason};
    if (!rec_is(&c, root, JSON_OBJECT)) return fail(reason, "record is not a JSON object");
    if (line_id(&c, root, &item->custom_id) < 0) return -1;
    if (item->has_request) return 0;
    return read_request(&c, json_get(doc, root, "request"), item);
}

/* The error type of a status string ("Bad Request: {...}", "INVALID_ARGUMENT: ..."): the
 * words before the first colon, else the whole status (empty, with no text at all, when the
 * line has no status). */
static bt_str status_type(bt_str status) {
    if (!status.len) return status;
    const char *colon = memchr(status.ptr, ':', status.len);
    return colon ? (bt_str){status.ptr, (size_t)(colon - status.ptr)} : status;
}

/* provider_ops.parse_result: {custom_id?, request, response, status, processed_time}. */
static int vertex_parse_result(const json_doc *doc, int root, arena_t *a, bt_item *item,
                               char *reason) {
    record_ctx c = {doc, a, reason};
    if (!rec_is(&c, root, JSON_OBJECT)) return fail(reason, "record is not a JSON object");
    if (line_id(&c, root, &item->custom_id) < 0) return -1;
    int request = json_get(doc, root, "request");
    int response = json_get(doc, root, "response");
    if (rec_is(&c, request, JSON_OBJECT) && read_request(&c, request, item) < 0) return -1;
    if (!item->operation) item->operation = "chat";
    item->endpoint = STR_LIT(VERTEX_ENDPOINT);
    item->has_response = true;
    if (rec_time(&c, json_get(doc, root, "processed_time"), "processed_time",
                 &item->end_time_ns) < 0)
        return -1;
    bt_str status = rec_str_field(&c, root, "status", NULL);
    int error = rec_get_typed(&c, response, "error", NULL, JSON_OBJECT);
    if (status.len || error >= 0) {
        item->result = RESULT_ERRORED;
        item->error_message = status;
        item->error_type = status_type(status);
        if (error >= 0) { /* Claude's {type:"error", error:{type, message}} */
            item->error_type = rec_str_field(&c, error, "type", NULL);
            item->error_message = rec_str_field(&c, error, "message", NULL);
            if (!item->error_type.len) item->error_type = STR_LIT("error");
        }
        item->response_body = rec_raw(&c, response);
        return 0;
    }
    if (!rec_is(&c, response, JSON_OBJECT))
        return fail(reason, "neither \"response\" nor a \"status\" is set");
    int64_t processed = item->end_time_ns;
    int rc = rec_is(&c, request, JSON_OBJECT) && is_claude(&c, request)
                 ? anthropic_read_message(doc, response, a, item, reason)
                 : gemini_read_response(&c, response, item);
    item->endpoint = STR_LIT(VERTEX_ENDPOINT);
    if (processed) item->end_time_ns = processed;
    return rc;
}

/* provider_ops.parse_batch: a BatchPredictionJob {name, displayName, model, state,
 * createTime, endTime, completionStats{successfulCount, failedCount, incompleteCount},
 * error, inputConfig, outputInfo}. */
static int vertex_parse_batch(const json_doc *doc, int root, arena_t *a, batch_info *batch,
                              char *reason) {
    record_ctx c = {doc, a, reason};
    if (!rec_is(&c, root, JSON_OBJECT)) return fail(reason, "record is not a JSON object");
    batch->id = rec_str_field(&c, root, "name", NULL);
    if (!batch->id.len) return fail(reason, "missing \"name\"");
    batch->status = rec_str_field(&c, root, "state", NULL);
    if (!batch->status.len) return fail(reason, "missing \"state\"");
    if (gemini_classify_state(batch->status, &batch->state) < 0) {
        int quoted = batch->status.len > 40 ? 40 : (int)batch->status.len;
        return fail(reason, "unknown job state \"%.*s\"", quoted, batch->status.ptr);
    }
    batch->endpoint = STR_LIT(VERTEX_ENDPOINT);
    bt_str model = rec_str_field(&c, root, "model", NULL);
    const char *slash = model.len ? memchr(model.ptr, '/', model.len) : NULL;
    while (slash) { /* publishers/google/models/NAME -> NAME */
        model.len -= (size_t)(slash + 1 - model.ptr);
        model.ptr = slash + 1;
        slash = memchr(model.ptr, '/', model.len);
    }
    batch->model = model;
    if (rec_time(&c, rec_get(&c, root, "createTime", "create_time"), "createTime",
                 &batch->created_ns) < 0 ||
        (batch->state != BATCH_RUNNING &&
         rec_time(&c, rec_get(&c, root, "endTime", "end_time"), "endTime",
                  &batch->terminal_ns) < 0))
        return -1;
    int stats = rec_get_typed(&c, root, "completionStats", "completion_stats", JSON_OBJECT);
    opt_i64 incomplete = {false, 0};
    if (rec_int(&c, rec_get(&c, stats, "successfulCount", "successful_count"),
                "completionStats.successfulCount", &batch->count_succeeded) < 0 ||
        rec_int(&c, rec_get(&c, stats, "failedCount", "failed_count"),
                "completionStats.failedCount", &batch->count_errored) < 0 ||
        rec_int(&c, rec_get(&c, stats, "incompleteCount", "incomplete_count"),
                "completionStats.incompleteCount", &incomplete) < 0)
        return -1;
    /* Every request that succeeded or failed has its output line. */
    if (batch->count_succeeded.has || batch->count_errored.has) {
        batch->count_with_line = batch->count_succeeded;
        if (!opt_add(&batch->count_with_line, batch->count_errored))
            return fail(reason, "\"completionStats\": counts overflow int64");
        batch->count_total = batch->count_with_line;
        if (!opt_add(&batch->count_total, incomplete))
            return fail(reason, "\"completionStats\": counts overflow int64");
    }
    int error = rec_get_typed(&c, root, "error", NULL, JSON_OBJECT);
    if (error >= 0) {
        batch->errors = arena_calloc(a, 1, sizeof *batch->errors);
        batch->errors[0].code = rec_raw(&c, json_get(doc, error, "code"));
        batch->errors[0].message = rec_str_field(&c, error, "message", NULL);
        batch->error_count = 1;
    }
    return 0;
}

/* provider_ops.is_request: {request:{...}} without Gemini API's key and without an
 * answer. */
static bool vertex_is_request(const json_doc *doc, int root) {
    return json_type_of(doc, json_get(doc, root, "request")) == JSON_OBJECT &&
           json_get(doc, root, "key") < 0 && json_get(doc, root, "response") < 0 &&
           json_get(doc, root, "status") < 0;
}

/* provider_ops.is_result: {request, response | status} without a key. */
static bool vertex_is_result(const json_doc *doc, int root) {
    return json_get(doc, root, "request") >= 0 && json_get(doc, root, "key") < 0 &&
           (json_get(doc, root, "response") >= 0 || json_get(doc, root, "status") >= 0);
}

/* provider_ops.is_batch: a job named ".../batchPredictionJobs/...". */
static bool vertex_is_batch(const json_doc *doc, int root) {
    bt_str name = json_raw(doc, json_get(doc, root, "name"));
    static const char part[] = "/batchPredictionJobs/";
    for (size_t i = 0; i + sizeof part - 1 <= name.len; i++)
        if (memcmp(name.ptr + i, part, sizeof part - 1) == 0) return true;
    return false;
}

const provider_ops provider_vertex = {
    .name = "gcp.vertex_ai",
    .alias = "vertex",
    .format = "gcp.vertex_ai",
    .is_request = vertex_is_request,
    .is_result = vertex_is_result,
    .is_batch = vertex_is_batch,
    .request_custom_id = vertex_request_custom_id,
    .parse_request = vertex_parse_request,
    .parse_result = vertex_parse_result,
    .parse_batch = vertex_parse_batch,
};
