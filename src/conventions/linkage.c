/* The `linkage` convention: batchtrace.* attributes tying spans to the provider's batch.
 *
 * Item attributes, in this order: batchtrace.batch.id (when known), batchtrace.custom_id,
 * batchtrace.endpoint (when known), batchtrace.result, batchtrace.input_missing (only
 * when true).
 * Task attributes, in this order: batchtrace.batch.id (when known), batchtrace.endpoint
 * (when known), batchtrace.batch.status (when there was a batch object),
 * batchtrace.batch.request_counts.{total,succeeded,errored,canceled,expired,missing}
 * (always), then when known batchtrace.batch.input_file_id, .output_file_id,
 * .error_file_id, batchtrace.batch.metadata (JSON, without batchtrace_ctx),
 * batchtrace.batch.errors (JSON array of a failed batch's errors.data) and
 * batchtrace.task.provisional (only when true: no batch object, see docs/design.md
 * "Outcomes"), then batchtrace.cost.usd and batchtrace.cost.saved_usd (the priced items'
 * sums, when any item was priced).
 * Items get batchtrace.cost.usd and batchtrace.cost.saved_usd after input_missing, when the
 * engine priced them (docs/conventions.md, "Cost").
 * The batch object's own fields give, when present, batchtrace.batch.model and
 * batchtrace.batch.usage.{input_tokens, output_tokens, cache_read.input_tokens,
 * reasoning.output_tokens} (the provider's totals, beside the items' sums).
 * Items also get, when known: batchtrace.line_id (OpenAI's batch_req_... line id),
 * batchtrace.request.input_count (the inputs of an embeddings or moderations request),
 * batchtrace.request.tool_choice (a string, or compact JSON) and, for the item whose input
 * line a failed batch's error names, batchtrace.batch.error.code, .message and .line.
 * Values are borrowed from the item, the context or the totals, or built in span->arena. */
#include "conventions/convention.h"
#include "conventions/shared.h"

/* Add key = value when value is non-empty. */
static void attr_if_some(span_t *span, const char *key, bt_str value) {
    if (str_some(value)) span_attr_str(span, key, value);
}

/* batchtrace.* for one item's LLM span. */
static void linkage_item(span_t *span, const bt_item *item, const convention_ctx *ctx) {
    attr_if_some(span, "batchtrace.batch.id", ctx->batch_id);
    span_attr_str(span, "batchtrace.custom_id", item->custom_id);
    attr_if_some(span, "batchtrace.endpoint", item->endpoint);
    span_attr_cstr(span, "batchtrace.result", item_result_name(item->result));
    if (item->input_missing) span_attr_bool(span, "batchtrace.input_missing", true);
    if (item->cost_usd.has) {
        span_attr_double(span, "batchtrace.cost.usd", item->cost_usd.value);
        span_attr_double(span, "batchtrace.cost.saved_usd", item->cost_saved_usd.value);
    }
    attr_if_some(span, "batchtrace.line_id", item->line_id);
    conv_attr_opt_int(span, "batchtrace.request.input_count", item->input_count);
    if (item->tool_choice_is_json)
        conv_attr_compact(span, "batchtrace.request.tool_choice", item->tool_choice);
    else
        attr_if_some(span, "batchtrace.request.tool_choice", item->tool_choice);
    const batch_error *error = item->batch_error;
    if (error) {
        attr_if_some(span, "batchtrace.batch.error.code", error->code);
        attr_if_some(span, "batchtrace.batch.error.message", error->message);
        if (error->line.has) span_attr_int(span, "batchtrace.batch.error.line", error->line.value);
    }
}

/* batchtrace.batch.errors: a failed batch's errors as a JSON array of {code, message, param,
 * line} (the fields given), built in span->arena. */
static void attr_batch_errors(span_t *span, const task_totals *totals) {
    buf_t *json = conv_scratch_take();
    jw_t w;
    jw_init(&w, json);
    jw_array_open(&w);
    for (size_t i = 0; i < totals->error_count; i++) {
        const batch_error *error = &totals->errors[i];
        jw_object_open(&w);
        conv_write_if_some(&w, "code", error->code);
        conv_write_if_some(&w, "message", error->message);
        conv_write_if_some(&w, "param", error->param);
        if (error->line.has) {
            jw_key(&w, "line");
            jw_int(&w, error->line.value);
        }
        jw_object_close(&w);
    }
    jw_array_close(&w);
    conv_attr_buf(span, "batchtrace.batch.errors", json);
    conv_scratch_give(json);
}

/* batchtrace.* for the task span. */
static void linkage_task(span_t *span, const task_totals *totals, const convention_ctx *ctx) {
    attr_if_some(span, "batchtrace.batch.id", totals->batch_id);
    attr_if_some(span, "batchtrace.endpoint", totals->endpoint);
    attr_if_some(span, "batchtrace.batch.status", totals->batch_status);
    span_attr_int(span, "batchtrace.batch.request_counts.total", (int64_t)totals->total);
    span_attr_int(span, "batchtrace.batch.request_counts.succeeded",
                  (int64_t)totals->succeeded);
    span_attr_int(span, "batchtrace.batch.request_counts.errored", (int64_t)totals->errored);
    span_attr_int(span, "batchtrace.batch.request_counts.canceled", (int64_t)totals->canceled);
    span_attr_int(span, "batchtrace.batch.request_counts.expired", (int64_t)totals->expired);
    span_attr_int(span, "batchtrace.batch.request_counts.missing", (int64_t)totals->missing);
    attr_if_some(span, "batchtrace.batch.input_file_id", totals->input_file_id);
    attr_if_some(span, "batchtrace.batch.output_file_id", totals->output_file_id);
    attr_if_some(span, "batchtrace.batch.error_file_id", totals->error_file_id);
    if (str_some(totals->metadata))
        conv_attr_compact(span, "batchtrace.batch.metadata", totals->metadata);
    if (totals->error_count) attr_batch_errors(span, totals);
    if (totals->provisional) span_attr_bool(span, "batchtrace.task.provisional", true);
    if (totals->has_cost) {
        span_attr_double(span, "batchtrace.cost.usd", totals->cost_usd);
        span_attr_double(span, "batchtrace.cost.saved_usd", totals->cost_saved_usd);
    }
    const batch_info *batch = totals->batch;
    if (!batch) return;
    attr_if_some(span, "batchtrace.batch.model", batch->model);
    conv_attr_opt_int(span, "batchtrace.batch.usage.input_tokens", batch->usage_input_tokens);
    conv_attr_opt_int(span, "batchtrace.batch.usage.output_tokens", batch->usage_output_tokens);
    conv_attr_opt_int(span, "batchtrace.batch.usage.cache_read.input_tokens",
                      batch->usage_cache_read_tokens);
    conv_attr_opt_int(span, "batchtrace.batch.usage.reasoning.output_tokens",
                      batch->usage_reasoning_tokens);
}

const convention convention_linkage = {
    .name = "linkage",
    .item = linkage_item,
    .task = linkage_task,
};
