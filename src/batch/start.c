/* See start.h. */
#include "batch/start.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch/index.h"
#include "batch/inputs.h"
#include "batch/resume.h"
#include "batchtrace.h"
#include "conventions/shared.h"
#include "json/json.h"
#include "span/limit.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/fault.h"
#include "util/hash.h"
#include "util/lines.h"
#include "util/timeutil.h"

/* What the requests say about the batch as a whole (the submit span's attributes). */
typedef struct batch_summary {
    char *endpoint;              /* the first request's endpoint; owned, NULL when none */
    char **models;               /* distinct request models, sorted; owned */
    size_t model_count;
    bool has_max_tokens;         /* some request set a max-token field */
    int64_t max_tokens_sum;      /* their sum (saturated) */
    /* The batch as the submit span carries it, bounded (content_budget): */
    bt_str *custom_ids;          /* the first custom_ids that fit, borrowed from the index */
    size_t custom_id_count;
    size_t custom_id_bytes;      /* their cost: each id's length + 3 (quotes, comma) */
    bool custom_ids_full;        /* one did not fit: none after it is taken */
    bool want_requests;          /* a dialect shows the requests (braintrust) */
    buf_t requests;              /* "[" and the first compacted request records that fit */
    uint64_t requests_shown;
    bool requests_full;
} batch_summary;

/* Room the submit span gives each of its lists (custom_ids, requests): a quarter of the
 * exporter's request size, so both together stay well within one request, and no more than
 * --max-attribute-bytes when it is set. Whole entries only, in custom_id order. */
static size_t content_budget(const start_config *config) {
    uint64_t request_bytes = config->export_request->max_request_bytes
                                 ? config->export_request->max_request_bytes
                                 : 4u << 20;
    size_t budget = (size_t)(request_bytes / 4);
    if (config->max_attribute_bytes && config->max_attribute_bytes < budget)
        budget = config->max_attribute_bytes;
    return budget;
}

/* Take id and the request record text into the summary's bounded lists while they fit in
 * budget. The custom_ids keep 512 bytes of the budget (when it has more than 1 KiB) for the
 * other members of the metadata document that carries them. */
static void take_for_submit(batch_summary *summary, bt_str id, bt_str record, size_t budget,
                            buf_t *scratch) {
    size_t id_budget = budget > 1024 ? budget - 512 : budget / 2;
    if (!summary->custom_ids_full && summary->custom_id_bytes + id.len + 3 <= id_budget) {
        summary->custom_ids[summary->custom_id_count++] = id;
        summary->custom_id_bytes += id.len + 3;
    } else {
        summary->custom_ids_full = true;
    }
    if (!summary->want_requests || summary->requests_full) return;
    buf_clear(scratch);
    conv_append_compact(scratch, record);
    /* a comma before it, the closing bracket after the last */
    if (summary->requests.len + 1 + scratch->len + 1 > budget) {
        summary->requests_full = true;
        return;
    }
    if (summary->requests_shown) buf_putc(&summary->requests, ',');
    buf_append(&summary->requests, scratch->data, scratch->len);
    summary->requests_shown++;
}

/* Add model to the sorted, distinct list. */
static void add_model(batch_summary *summary, bt_str model) {
    if (!model.len) return;
    size_t at = 0;
    for (; at < summary->model_count; at++) {
        int cmp = strncmp(summary->models[at], model.ptr, model.len);
        if (cmp == 0 && summary->models[at][model.len] == '\0') return;
        if (cmp > 0 || (cmp == 0 && summary->models[at][model.len] != '\0')) break;
    }
    summary->models = xreallocarray(summary->models, summary->model_count + 1,
                                    sizeof *summary->models);
    memmove(summary->models + at + 1, summary->models + at,
            (summary->model_count - at) * sizeof *summary->models);
    summary->models[at] = xstrndup(model.ptr, model.len);
    summary->model_count++;
}

/* Read every indexed request back and sum up the batch: endpoint, models, max_tokens, and
 * the bounded lists of the submit span (take_for_submit). A request its provider cannot read
 * is rejected (FILE:LINE: reason): the provider would refuse it. */
static void summarize_requests(const input_file *input, const custom_id_index *index,
                               diag_sink *diags, size_t budget, batch_summary *summary) {
    index_entry **sorted = index_sorted(index);
    summary->custom_ids = xcalloc(index->count ? index->count : 1, sizeof *summary->custom_ids);
    buf_putc(&summary->requests, '[');
    buf_t record = BUF_INIT;
    buf_t text = BUF_INIT;
    json_doc doc = JSON_DOC_INIT;
    arena_t arena = ARENA_INIT;
    for (size_t i = 0; i < index->count; i++) {
        const index_entry *entry = sorted[i];
        char reason[REASON_MAX];
        arena_reset(&arena);
        bt_item item;
        memset(&item, 0, sizeof item);
        if (inputs_read(input, entry, &text, reason) != 0) {
            diag_reject(diags, input->name, entry->record_line, "%s", reason);
            continue;
        }
        if (json_parse(&doc, text.data, text.len, reason) != 0 ||
            provider_parse_request(input->provider, &doc, 0, &arena, &item, reason) != 0) {
            diag_reject(diags, input->name, entry->record_line, "%s", reason);
            continue;
        }
        take_for_submit(summary, index_custom_id(index, entry),
                        (bt_str){text.data, text.len}, budget, &record);
        if (!summary->endpoint && item.endpoint.len)
            summary->endpoint = xstrndup(item.endpoint.ptr, item.endpoint.len);
        add_model(summary, item.request_model);
        if (item.max_tokens.has) {
            int64_t v = item.max_tokens.value;
            summary->has_max_tokens = true;
            summary->max_tokens_sum = v > 0 && summary->max_tokens_sum > INT64_MAX - v
                                          ? INT64_MAX
                                          : summary->max_tokens_sum + v;
        }
    }
    buf_putc(&summary->requests, ']');
    arena_free(&arena);
    json_doc_free(&doc);
    buf_free(&text);
    buf_free(&record);
    free(sorted);
}

/* Free what summarize_requests made. */
static void batch_summary_free(batch_summary *summary) {
    free(summary->endpoint);
    for (size_t i = 0; i < summary->model_count; i++) free(summary->models[i]);
    free(summary->models);
    free(summary->custom_ids);
    buf_free(&summary->requests);
}

/* The models joined with commas (malloc'd), or NULL when there are none. */
static char *join_models(const batch_summary *summary) {
    if (!summary->model_count) return NULL;
    buf_t joined = BUF_INIT;
    for (size_t i = 0; i < summary->model_count; i++)
        buf_printf(&joined, "%s%s", i ? "," : "", summary->models[i]);
    return buf_detach(&joined);
}

/* Build the submit span in arena (which owns its strings). */
static void build_submit(const start_config *config, const context_claims *claims,
                         const batch_summary *summary, const start_outcome *outcome,
                         arena_t *arena, span_t *span) {
    span_init(span, arena);
    memcpy(span->trace_id, claims->trace_id, 16);
    identity_span_id(claims->nonce, "submit", STR_NULL, span->span_id);
    span->has_parent = claims->has_parent;
    memcpy(span->parent_span_id, claims->parent_span_id, 8);
    span->flags = claims->trace_flags;
    char name[48];
    snprintf(name, sizeof name, "%s.batch.submit", claims->provider);
    span->name = arena_strndup(arena, name, strlen(name));
    span->kind = SPAN_KIND_INTERNAL;
    span->start_ns = (uint64_t)claims->start_ns;
    int64_t end = config->time_pinned ? claims->start_ns : time_now_ns();
    span->end_ns = (uint64_t)(end < claims->start_ns ? claims->start_ns : end);
    span_attr_cstr(span, "gen_ai.provider.name", claims->provider);
    if (summary->endpoint) span_attr_cstr(span, "batchtrace.endpoint", summary->endpoint);
    if (config->batch_id) span_attr_cstr(span, "batchtrace.batch.id", config->batch_id);
    span_attr_int(span, "batchtrace.batch.request_count", (int64_t)claims->request_count);
    bt_str *models = arena_calloc(arena, summary->model_count ? summary->model_count : 1,
                                  sizeof *models);
    for (size_t i = 0; i < summary->model_count; i++) models[i] = str_c(summary->models[i]);
    if (summary->model_count == 1) span_attr_str(span, "gen_ai.request.model", models[0]);
    else if (summary->model_count > 1)
        span_attr_strs(span, "batchtrace.models", models, summary->model_count);
    span_attr_int(span, "batchtrace.custom_id.count", (int64_t)claims->request_count);
    span_attr_cstr(span, "batchtrace.custom_id.digest", outcome->input_digest);
    if (summary->has_max_tokens)
        span_attr_int(span, "batchtrace.request.max_tokens.sum", summary->max_tokens_sum);
    span_attr_strs(span, "batchtrace.custom_ids", summary->custom_ids, summary->custom_id_count);
    submit_totals totals = {
        .provider = claims->provider,
        .batch_id = str_c(config->batch_id),
        .endpoint = str_c(summary->endpoint),
        .request_count = claims->request_count,
        .models = models,
        .model_count = summary->model_count,
        .custom_ids = summary->custom_ids,
        .custom_id_count = summary->custom_id_count,
        .requests_json = {summary->requests.data, summary->requests.len},
        .requests_shown = summary->requests_shown,
    };
    for (size_t i = 0; i < config->convention_count; i++)
        if (config->conventions[i]->submit) config->conventions[i]->submit(span, &totals);
    /* Nothing is cut silently: a list that could not be carried whole marks the span. */
    bool cut = config->max_attribute_bytes &&
               span_limit_values(span, config->max_attribute_bytes);
    if (!cut && (summary->custom_id_count < claims->request_count ||
                 (summary->want_requests && summary->requests_shown < claims->request_count)))
        span_attr_bool(span, "batchtrace.truncated", true);
}

/* Export the submit span (sending the spool row spool_id written ahead, when not 0);
 * the outcome gets the export's counts. */
static void export_submit(const start_config *config, exporter_t *exporter, const span_t *span,
                          const export_ahead *ahead, int64_t spool_id, start_outcome *outcome) {
    char detail[REASON_MAX];
    int sent = spool_id ? exporter_add_spooled(exporter, ahead, spool_id, detail)
                        : exporter_add(exporter, span, detail);
    if (sent != 0) diag_error(config->diags, "", 0, "export failed: %s", detail);
    export_report report = {0, 0};
    if (exporter_finish(exporter, &report, detail) != 0)
        diag_error(config->diags, "", 0, "export failed: %s", detail);
    export_details details;
    exporter_details(exporter, &details);
    outcome->spans_exported = report.spans_exported;
    outcome->spans_failed = report.spans_failed;
    outcome->spans_spooled = details.spans_spooled;
}

/* Keep the batch in the store: the compressed inputs, then the record, with submit (when
 * not NULL) in the spool, all in one transaction held by this run, so that a start that
 * fails or is killed leaves none of them (no input parts without their batch). -1 with
 * reason (e.g. the batch id is bound to another batch already). */
static int record_batch(const start_config *config, const source_t *inputs, store_t *store,
                        const context_claims *claims, const batch_summary *summary,
                        spool_chunk *submit, start_outcome *outcome, char *reason) {
    store_batch record;
    resume_record_from_claims(claims, outcome->context, &record);
    int rc = -1;
    bool in_transaction = false;
    if (store_begin(store, reason) != 0) goto done;
    in_transaction = true;
    if (config->batch_id) {
        store_batch other;
        int found = store_batch_find(store, NULL, config->batch_id, &other, reason);
        if (found == 1) {
            store_batch_free(&other);
            fail(reason, "batch id \"%.100s\" is already bound to another context (see "
                         "batchtrace status --batch-id %.100s)", config->batch_id,
                 config->batch_id);
        }
        if (found != 0) goto done;
    }
    if (config->keep_inputs) {
        char detail[REASON_MAX];
        if (resume_keep_inputs(store, record.nonce, inputs, detail) != 0) {
            fail(reason, "cannot keep the inputs in the store: %s", detail);
            goto done;
        }
        record.inputs_kept = true;
    }
    record.batch_id = config->batch_id ? xstrdup(config->batch_id) : NULL;
    record.endpoint = summary->endpoint ? xstrdup(summary->endpoint) : NULL;
    record.models = join_models(summary);
    record.created_ns = config->start_ns; /* the run's clock: BATCHTRACE_NOW pins it */
    int put = submit ? store_batch_put_ahead(store, &record, submit, reason)
                     : store_batch_put(store, &record, reason);
    if (put != 1) {
        if (put == 0) fail(reason, "the store already holds a batch with this nonce");
        goto done;
    }
    in_transaction = false;
    if (store_commit(store, reason) != 0) goto done;
    outcome->inputs_kept = record.inputs_kept;
    rc = 0;
done:
    if (in_transaction) store_rollback(store);
    store_batch_free(&record);
    return rc;
}

/* See start.h. */
int start_run(const start_config *config, start_outcome *outcome, int *usage_error,
              char *reason) {
    memset(outcome, 0, sizeof *outcome);
    *usage_error = 0;
    outcome->exit_code = BATCHTRACE_EXIT_FATAL;
    source_t inputs = {0}; /* read by every pass: indexing, the summary, the copy kept */
    input_file input;
    memset(&input, 0, sizeof input);
    custom_id_index index = CUSTOM_ID_INDEX_INIT;
    batch_summary summary;
    memset(&summary, 0, sizeof summary);
    store_t *store = NULL;
    exporter_t *exporter = NULL;
    arena_t arena = ARENA_INIT;
    export_ahead ahead = {BUF_INIT, NULL, NULL};
    int rc = -1;

    char detail[REASON_MAX];
    const source_limits limits = {lines_limit(config->max_line), 0};
    if (source_open_public_limited(&inputs, &config->input, "<requests>", &limits, reason) != 0 ||
        inputs_index_limited(&input, &inputs, config->provider, &index, config->diags,
                             config->max_line, reason) != 0)
        goto done;
    for (size_t i = 0; i < config->convention_count; i++)
        if (config->conventions[i]->submit) summary.want_requests = true;
    if (input.record_count > 0)
        summarize_requests(&input, &index, config->diags, content_budget(config), &summary);
    outcome->provider = xstrdup(input.provider ? input.provider->name : "");
    outcome->request_count = input.record_count;
    uint8_t digest[SHA256_LEN];
    index_digest(&index, digest);
    hex_encode(digest, SHA256_LEN, outcome->input_digest);
    if (config->diags->rejected.total > 0) { /* the provider would refuse the batch */
        outcome->exit_code = BATCHTRACE_EXIT_REJECTED;
        rc = 0;
        goto done;
    }
    if (input.record_count == 0) {
        fail(reason, "%s: no requests: nothing to start", inputs.name);
        goto done;
    }

    char *url = store_resolve_url(config->store_url, reason);
    if (!url) {
        *usage_error = 1;
        goto done;
    }
    store = store_open(url, true, detail);
    free(url);
    if (!store) {
        fail(reason, "the store cannot be used: %s", detail);
        goto done;
    }
    outcome->store = xstrdup(store_url(store));
    signing_key key;
    if (resume_signing_key(store, &key, reason) != 0) goto done;

    context_claims claims;
    memset(&claims, 0, sizeof claims);
    claims.provider = input.provider->name;
    if (RAND_bytes(claims.nonce, sizeof claims.nonce) != 1) {
        fail(reason, "cannot make a nonce: no randomness from libcrypto");
        goto done;
    }
    if (config->has_parent) {
        memcpy(claims.trace_id, config->parent.trace_id, 16);
        memcpy(claims.parent_span_id, config->parent.span_id, 8);
        claims.has_parent = true;
        claims.trace_flags = config->parent.flags;
    } else {
        identity_trace_id(claims.nonce, claims.trace_id);
        claims.trace_flags = 1; /* sampled */
    }
    claims.start_ns = config->start_ns;
    claims.request_count = input.record_count;
    memcpy(claims.input_digest, digest, SHA256_LEN);
    char token[CONTEXT_TOKEN_MAX + 1];
    context_token_encode(&claims, key.bytes, key.len, token);
    outcome->context = xstrdup(token);
    exporter = export_select(config->export_request, config->resource, &outcome->destination,
                             usage_error, reason);
    if (!exporter) {
        free(outcome->context);
        outcome->context = NULL;
        goto done;
    }
    /* Written ahead: the submit span goes to the spool with the batch's record, then is
     * sent (and deleted once accepted), so a start killed at any instant leaves it for
     * flush. Exporters without a spool (file, console) write it after the record. */
    span_t span;
    build_submit(config, &claims, &summary, outcome, &arena, &span);
    bool ahead_written = exporter_encode_ahead(exporter, &span, &ahead) == 0;
    spool_chunk submit = {0, ahead.protocol, 1, ahead.body.data, ahead.body.len,
                          outcome->destination, ahead.braintrust_parent,
                          "written ahead by start, not sent yet (start was stopped)"};
    if (record_batch(config, &inputs, store, &claims, &summary, ahead_written ? &submit : NULL,
                     outcome, reason) != 0) {
        free(outcome->context);
        outcome->context = NULL;
        goto done;
    }
    fault_point("start.recorded");

    uint8_t task_span_id[8];
    identity_span_id(claims.nonce, "task", STR_NULL, task_span_id);
    hex_encode(claims.trace_id, 16, outcome->trace_id);
    hex_encode(task_span_id, 8, outcome->task_span_id);
    hex_encode(span.span_id, 8, outcome->submit_span_id);
    snprintf(outcome->traceparent, sizeof outcome->traceparent, "00-%s-%s-%02x",
             outcome->trace_id, outcome->task_span_id, claims.trace_flags);
    export_submit(config, exporter, &span, &ahead, ahead_written ? submit.id : 0, outcome);
    outcome->exit_code = outcome->spans_failed ? BATCHTRACE_EXIT_EXPORT_FAILED : BATCHTRACE_EXIT_OK;
    rc = 0;
done:
    if (!outcome->provider) outcome->provider = xstrdup("");
    if (!outcome->context) outcome->context = xstrdup("");
    if (!outcome->batch_id) outcome->batch_id = xstrdup(config->batch_id ? config->batch_id : "");
    if (!outcome->destination) outcome->destination = xstrdup("");
    if (!outcome->store) outcome->store = xstrdup("");
    if (rc != 0 && *usage_error) outcome->exit_code = BATCHTRACE_EXIT_USAGE;
    exporter_free(exporter);
    buf_free(&ahead.body);
    arena_free(&arena);
    store_close(store);
    batch_summary_free(&summary);
    index_free(&index);
    source_close(&inputs);
    return rc;
}

/* See start.h. */
void start_outcome_free(start_outcome *outcome) {
    free(outcome->provider);
    free(outcome->context);
    free(outcome->batch_id);
    free(outcome->destination);
    free(outcome->store);
    memset(outcome, 0, sizeof *outcome);
}
