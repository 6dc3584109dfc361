/* The `linkage` convention: batchtrace.* attributes tying spans to the provider's batch.
 *
 * Item attributes, in this order: batchtrace.batch.id (when known), batchtrace.custom_id,
 * batchtrace.endpoint (when known), batchtrace.result, batchtrace.input_missing (only
 * when true).
 * Task attributes, in this order: batchtrace.batch.id (when known), batchtrace.endpoint
 * (when known), batchtrace.batch.status (when there was a batch object),
 * batchtrace.batch.request_counts.{total,succeeded,errored,canceled,expired,missing}
 * (always). All values are borrowed from the item, the context or the totals. */
#include "conventions/convention.h"

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
}

const convention convention_linkage = {
    .name = "linkage",
    .item = linkage_item,
    .task = linkage_task,
};
