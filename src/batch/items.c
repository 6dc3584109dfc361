/* The items' spans: building each item's LLM span (identity, name, status, the
 * conventions' attributes), exporting and counting it, and streaming the result lines
 * through the workers of util/line_chunks: a worker judges each line (parse, match the
 * input, build and encode the span), then the caller's thread settles the lines in file
 * order (duplicates, diagnostics, export, totals), so the output is the same as a single
 * pass would give. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "batch/collector.h"
#include "report/cost.h"
#include "span/limit.h"
#include "util/alloc.h"
#include "util/fault.h"
#include "util/line_chunks.h"

/* Remember model as one of the batch's models (sorted, distinct). */
static void note_model(collector *c, bt_str model) {
    if (!model.len) return;
    size_t lo = 0, hi = c->model_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *m = c->models[mid];
        size_t mlen = strlen(m);
        int cmp = memcmp(m, model.ptr, mlen < model.len ? mlen : model.len);
        if (cmp == 0) cmp = (mlen > model.len) - (mlen < model.len);
        if (cmp == 0) return;
        if (cmp < 0) lo = mid + 1;
        else hi = mid;
    }
    c->models = xreallocarray(c->models, c->model_count + 1, sizeof *c->models);
    memmove(c->models + lo + 1, c->models + lo, (c->model_count - lo) * sizeof *c->models);
    c->models[lo] = xstrndup(model.ptr, model.len);
    c->model_count++;
}

/* Add an optional token count to a total. */
static void add_tokens(int64_t *total, bool *has, opt_i64 value) {
    if (!value.has) return;
    *has = true;
    if ((value.value > 0 && *total > INT64_MAX - value.value) ||
        (value.value < 0 && *total < INT64_MIN - value.value))
        *total = value.value > 0 ? INT64_MAX : INT64_MIN; /* saturate: cannot happen for real */
    else
        *total += value.value;
}

/* Remember the first export failure (the run then exits 5). */
static void note_export(collector *c, int rc, const char *reason) {
    if (rc != 0 && !c->export_failed) {
        c->export_failed = true;
        memcpy(c->export_reason, reason, REASON_MAX);
    }
}

/* See collector.h. */
void items_export_span(collector *c, span_t *span, uint64_t tag) {
    if (c->config->max_attribute_bytes &&
        span_limit_values(span, c->config->max_attribute_bytes))
        c->spans_truncated++;
    char reason[REASON_MAX];
    note_export(c, exporter_add_tagged(c->config->exporter, span, tag, reason), reason);
}

/* The end of an item's span: its own timestamp, else the batch's end, else now; never
 * before start (SPEC section 5, Timestamps). */
static int64_t item_end_ns(const collector *c, const bt_item *item) {
    int64_t end = item->end_time_ns;
    if (end <= 0) end = c->has_batch && c->batch.terminal_ns > 0 ? c->batch.terminal_ns
                                                                  : c->config->now_ns;
    return end < c->task_start_ns ? c->task_start_ns : end;
}

/* The model an item is named and priced by: the request's, else the response's. */
static bt_str model_of(const bt_item *item) {
    return item->request_model.len ? item->request_model : item->response_model;
}

/* Price item with the run's table (batchtrace.cost.*), before the conventions map it.
 * Reads only what the run fixed before streaming, so workers call it at the same time. */
static void price_item(const collector *c, bt_item *item) {
    const price *p = prices_find(c->config->prices, item->provider, model_of(item));
    item_cost cost = cost_of_item(p, item);
    item->cost_usd = (opt_f64){cost.has, cost.usd};
    item->cost_saved_usd = (opt_f64){cost.has, cost.saved_usd};
}

/* What an item adds to the run's totals and its report. */
typedef struct item_tally {
    item_result result;
    bt_str model;                     /* the request's model, else the response's */
    int64_t end_ns;                   /* the end of its span */
    bool end_observed;                /* end_ns is the collection time: nobody gave one */
    opt_i64 input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens,
        reasoning_tokens;
    item_cost cost;                   /* its cost, when priced */
    bool unpriced;                    /* it has tokens but its model has no price */
    bool has_latency;                 /* it carries its own end time */
    int64_t latency_ns;               /* from the task's start to that end */
    bt_str custom_id, error_type, error_message; /* borrowed (see line_verdict) */
} item_tally;

/* The tally of item (strings borrowed from it), once price_item priced it. */
static item_tally tally_of(const collector *c, const bt_item *item) {
    bool has_tokens = item->input_tokens.has || item->output_tokens.has;
    item_tally t = {
        .result = item->result,
        .model = model_of(item),
        .end_ns = item_end_ns(c, item),
        .end_observed = item->end_time_ns <= 0 && !(c->has_batch && c->batch.terminal_ns > 0),
        .input_tokens = item->input_tokens,
        .output_tokens = item->output_tokens,
        .cache_read_tokens = item->cache_read_tokens,
        .cache_creation_tokens = item->cache_creation_tokens,
        .reasoning_tokens = item->reasoning_tokens,
        .cost = {item->cost_usd.has, item->cost_usd.value, item->cost_saved_usd.value},
        .unpriced = has_tokens && !item->cost_usd.has,
        .has_latency = item->end_time_ns > 0 && item->end_time_ns >= c->task_start_ns,
        .latency_ns = item->end_time_ns - c->task_start_ns,
        .custom_id = item->custom_id,
        .error_type = item->error_type,
        .error_message = item->error_message,
    };
    return t;
}

/* Count one item in the run's totals. */
static void count_item(collector *c, const item_tally *t) {
    c->item_spans++;
    switch (t->result) {
    case RESULT_SUCCEEDED: c->succeeded++; break;
    case RESULT_ERRORED: c->errored++; break;
    case RESULT_CANCELED: c->canceled++; break;
    case RESULT_EXPIRED: c->expired++; break;
    case RESULT_MISSING: c->missing++; break;
    }
    if (t->end_ns > c->latest_item_end_ns) c->latest_item_end_ns = t->end_ns;
    if (t->end_observed) c->ends_observed++;
    token_totals *tokens = &c->tokens;
    add_tokens(&tokens->input, &tokens->has_input, t->input_tokens);
    add_tokens(&tokens->output, &tokens->has_output, t->output_tokens);
    add_tokens(&tokens->cache_read, &tokens->has_cache_read, t->cache_read_tokens);
    add_tokens(&tokens->cache_creation, &tokens->has_cache_creation, t->cache_creation_tokens);
    add_tokens(&tokens->reasoning, &tokens->has_reasoning, t->reasoning_tokens);
    note_model(c, t->model);
    stats_item counted = {
        .result = t->result,
        .custom_id = t->custom_id,
        .model = t->model,
        .error_type = t->error_type,
        .error_message = t->error_message,
        .input_tokens = t->input_tokens,
        .output_tokens = t->output_tokens,
        .cache_read_tokens = t->cache_read_tokens,
        .cache_creation_tokens = t->cache_creation_tokens,
        .reasoning_tokens = t->reasoning_tokens,
        .cost = t->cost,
        .unpriced = t->unpriced,
        .has_latency = t->has_latency,
        .latency_ns = t->latency_ns,
    };
    stats_add(&c->stats, &counted);
}

/* Whether this run sends entry's span. With a context, only an item this run claimed
 * (entry flagged INDEX_CLAIMED), or any with --force, is sent; the others were delivered by
 * an earlier run, or are held by another live run that sends them, and are only counted
 * (the task's totals cover the whole batch). */
static bool take_item(collector *c, index_entry *entry) {
    if (!c->resume.active) return true;
    if (!c->config->force && !(entry->flags & INDEX_CLAIMED)) {
        if (entry->flags & INDEX_HELD) c->items_held++;
        else c->items_skipped++;
        return false;
    }
    c->items_sent++;
    return true;
}

/* Build the LLM span of one item in arena (which owns its strings). Reads only what the
 * run fixed before the results were streamed, so workers call it at the same time. */
static void build_item_span(const collector *c, arena_t *arena, const bt_item *item,
                            const item_tally *tally, span_t *span) {
    span_init(span, arena);
    memcpy(span->trace_id, c->trace_id, 16);
    identity_span_id(c->nonce, "item", item->custom_id, span->span_id);
    memcpy(span->parent_span_id, c->task_span_id, 8);
    span->has_parent = true;
    span->flags = c->trace_flags;
    const char *operation = item->operation ? item->operation : "chat";
    size_t operation_len = strlen(operation);
    char *name = arena_alloc(arena, operation_len + 1 + tally->model.len + 1);
    memcpy(name, operation, operation_len);
    size_t name_len = operation_len;
    if (tally->model.len) {
        name[name_len++] = ' ';
        memcpy(name + name_len, tally->model.ptr, tally->model.len);
        name_len += tally->model.len;
    }
    name[name_len] = '\0';
    span->name = (bt_str){name, name_len};
    span->kind = SPAN_KIND_CLIENT;
    span->start_ns = (uint64_t)c->task_start_ns;
    span->end_ns = (uint64_t)tally->end_ns;
    if (item->result != RESULT_SUCCEEDED) {
        span->status = SPAN_STATUS_ERROR;
        span->status_message = item->error_message.len ? item->error_message : item->error_type;
    }
    convention_ctx ctx = {c->batch_id, c->config->no_content};
    for (size_t i = 0; i < c->config->convention_count; i++)
        c->config->conventions[i]->item(span, item, &ctx);
}

/* See collector.h. */
void items_emit(collector *c, bt_item *item, index_entry *entry) {
    price_item(c, item);
    item_tally tally = tally_of(c, item);
    if (take_item(c, entry)) {
        span_t span;
        build_item_span(c, &c->item_arena, item, &tally, &span);
        items_export_span(c, &span, (uint64_t)(entry - c->index.entries));
    }
    count_item(c, &tally);
}

/* See collector.h. */
void items_default_model(const collector *c, bt_item *item) {
    if (c->has_batch && !item->request_model.len) item->request_model = c->batch.model;
}

/* See collector.h. */
int items_load_request(const collector *c, const index_entry *entry, buf_t *text,
                       json_doc *doc, arena_t *arena, bt_item *item, char *reason) {
    if (inputs_read(&c->input, entry, text, reason) != 0) return -1;
    char detail[REASON_MAX];
    if (json_parse(doc, text->data, text->len, detail) != 0 ||
        provider_parse_request(c->input.provider, doc, 0, arena, item, detail) != 0)
        return fail(reason, "%s:%u: %s", c->input.name, entry->record_line, detail);
    return 0;
}

/* ---- result lines, on the workers ------------------------------------------------------- */

/* A stretch of a chunk's verdict text. */
typedef struct text_ref {
    size_t at;                        /* offset in chunk_verdicts.text or .spans */
    size_t len;
} text_ref;

/* What a worker made of one result line. */
typedef enum verdict_kind {
    VERDICT_BLANK,                    /* nothing to do */
    VERDICT_REJECTED,                 /* the line is rejected: message says why */
    VERDICT_ITEM,                     /* an item, its span encoded */
} verdict_kind;

/* What became of an item's input record. */
typedef enum input_found {
    INPUT_FOUND,                      /* read and parsed */
    INPUT_NONE,                       /* the inputs have no record for the custom_id */
    INPUT_UNREADABLE,                 /* it could not be read back: message says why */
} input_found;

/* One result line as a worker judged it, for settle_results to act on in order. */
typedef struct line_verdict {
    verdict_kind kind;
    input_found input;                /* VERDICT_ITEM only */
    uint32_t entry_number;            /* the custom_id's index entry: found by the worker
                                         (unless INPUT_NONE), else made by settle_chunk */
    bool no_entry;                    /* settle_chunk found the index full */
    text_ref message;                 /* the rejection, or why the input is unreadable */
    text_ref custom_id;
    item_tally tally;                 /* its strings are in model, custom_id, error_type and
                                         error_message, not here */
    text_ref model;
    text_ref error_type;              /* a failed item's error (empty on success) */
    text_ref error_message;
    text_ref name;                    /* the span's name */
    uint8_t span_id[8];
    bool truncated;                   /* max_attribute_bytes cut some value */
    text_ref span;                    /* the encoded span, in spans */
} line_verdict;

/* The verdicts on a chunk's lines (line_chunk.output). */
typedef struct chunk_verdicts {
    line_verdict *verdicts;           /* one per line of the chunk; owned */
    size_t cap;                       /* verdicts allocated */
    buf_t text;                       /* messages, custom_ids, models, names */
    buf_t spans;                      /* the encoded spans, back to back */
} chunk_verdicts;

/* One worker's parsers and scratch space, reused from line to line. */
typedef struct result_worker {
    arena_t arena;                    /* the item and its span */
    json_doc result_doc;
    json_doc request_doc;
    buf_t request_text;
} result_worker;

/* Keep bytes in verdicts' text. */
static text_ref keep_text(chunk_verdicts *v, const char *bytes, size_t len) {
    text_ref ref = {v->text.len, len};
    buf_append(&v->text, bytes, len);
    return ref;
}

/* The bytes of ref in buffer b (empty when b holds nothing: the discard exporter's spans). */
static bt_str text_of(const buf_t *b, text_ref ref) {
    return b->data ? (bt_str){b->data + ref.at, ref.len} : (bt_str){"", 0};
}

/* Reject a line (its verdict), with a message. */
static void reject_line(chunk_verdicts *v, line_verdict *verdict, const char *message) {
    verdict->kind = VERDICT_REJECTED;
    verdict->message = keep_text(v, message, strlen(message));
}

/* A worker's parsers (line_chunk_ops.worker_new). */
static void *result_worker_new(void *ctx) {
    (void)ctx;
    result_worker *w = xcalloc(1, sizeof *w);
    return w;
}

/* Release a worker's parsers (line_chunk_ops.worker_free). */
static void result_worker_free(void *ctx, void *opaque) {
    (void)ctx;
    result_worker *w = opaque;
    arena_free(&w->arena);
    json_doc_free(&w->result_doc);
    json_doc_free(&w->request_doc);
    buf_free(&w->request_text);
    free(w);
}

/* Release a chunk's verdicts (line_chunk_ops.output_free). */
static void verdicts_free(void *ctx, void *opaque) {
    (void)ctx;
    chunk_verdicts *v = opaque;
    free(v->verdicts);
    buf_free(&v->text);
    buf_free(&v->spans);
    free(v);
}

/* The input record of custom_id, copied out of the index under its lock (settle may
 * insert at the same time), and its entry number (entries never move in the array's
 * order); false when the inputs have none. Only the record's fields are read: settle
 * changes the others without the lock. */
static bool find_input(collector *c, bt_str custom_id, index_entry *record, uint32_t *number) {
    pthread_mutex_lock(&c->index_lock);
    const index_entry *entry = index_find(&c->index, custom_id);
    bool found = entry && entry->record_len > 0;
    if (found) {
        memset(record, 0, sizeof *record);
        record->record_offset = entry->record_offset;
        record->record_len = entry->record_len;
        record->record_line = entry->record_line;
        *number = (uint32_t)(entry - c->index.entries);
    }
    pthread_mutex_unlock(&c->index_lock);
    return found;
}

/* Judge one result line: parse it, match its input, build and encode its span. Reads only
 * what the run fixed before streaming (and the index, under its lock). */
static void judge_line(collector *c, result_worker *w, const line_chunk *chunk,
                       const chunk_line *ln, chunk_verdicts *v, line_verdict *verdict) {
    memset(verdict, 0, sizeof *verdict);
    char reason[REASON_MAX];
    const char *text = chunk->data + ln->at;
    if (ln->too_long) {
        fail(reason, "line of %zu bytes exceeds the line-length limit (%zu bytes, see "
                     "--max-line-bytes)", ln->len, lines_limit(c->config->max_line));
        reject_line(v, verdict, reason);
        return;
    }
    size_t start = 0;
    while (start < ln->len && (text[start] == ' ' || text[start] == '\t')) start++;
    if (start == ln->len) return; /* blank */
    if (json_parse(&w->result_doc, text, ln->len, reason) != 0) {
        reject_line(v, verdict, reason);
        return;
    }
    if (json_type_of(&w->result_doc, 0) != JSON_OBJECT) {
        reject_line(v, verdict, "a result record must be a JSON object");
        return;
    }
    if (!c->provider) { /* prescan_results found no record it could tell */
        reject_line(v, verdict,
                    "not a result record of a known provider (use --provider to say which)");
        return;
    }
    arena_reset(&w->arena);
    bt_item item;
    memset(&item, 0, sizeof item);
    if (provider_parse_result(c->provider, &w->result_doc, 0, &w->arena, &item, reason) != 0) {
        reject_line(v, verdict, reason);
        return;
    }
    if (item.custom_id.len == 0 || item.custom_id.len > UINT16_MAX) {
        reject_line(v, verdict, "custom_id must be 1 to 65535 bytes long");
        return;
    }
    verdict->kind = VERDICT_ITEM;
    verdict->custom_id = keep_text(v, item.custom_id.ptr, item.custom_id.len);
    index_entry record;
    if (!find_input(c, item.custom_id, &record, &verdict->entry_number)) {
        verdict->input = INPUT_NONE;
        item.input_missing = true;
    } else if (items_load_request(c, &record, &w->request_text, &w->request_doc, &w->arena,
                                  &item, reason) != 0) {
        verdict->input = INPUT_UNREADABLE;
        verdict->message = keep_text(v, reason, strlen(reason));
        item.input_missing = true;
    }
    items_default_model(c, &item);
    price_item(c, &item);
    verdict->tally = tally_of(c, &item);
    span_t span;
    build_item_span(c, &w->arena, &item, &verdict->tally, &span);
    verdict->model = keep_text(v, verdict->tally.model.ptr, verdict->tally.model.len);
    verdict->error_type = keep_text(v, item.error_type.ptr, item.error_type.len);
    verdict->error_message = keep_text(v, item.error_message.ptr, item.error_message.len);
    /* These point into the worker's arena and the line: settle_line takes them from v. */
    verdict->tally.model = verdict->tally.custom_id = STR_NULL;
    verdict->tally.error_type = verdict->tally.error_message = STR_NULL;
    verdict->truncated = c->config->max_attribute_bytes &&
                         span_limit_values(&span, c->config->max_attribute_bytes);
    memcpy(verdict->span_id, span.span_id, 8);
    verdict->name = keep_text(v, span.name.ptr, span.name.len);
    size_t before = v->spans.len;
    exporter_encode(c->config->exporter, &span, &v->spans);
    verdict->span = (text_ref){before, v->spans.len - before};
}

/* Judge every line of a chunk (line_chunk_ops.work, on a worker thread). */
static void judge_chunk(void *ctx, void *worker, line_chunk *chunk) {
    chunk_verdicts *v = chunk->output;
    if (!v) v = chunk->output = xcalloc(1, sizeof *v);
    if (v->cap < chunk->count) {
        v->cap = chunk->count;
        v->verdicts = xreallocarray(v->verdicts, v->cap, sizeof *v->verdicts);
    }
    buf_clear(&v->text);
    buf_clear(&v->spans);
    for (size_t i = 0; i < chunk->count; i++)
        judge_line(ctx, worker, chunk, &chunk->lines[i], v, &v->verdicts[i]);
}

/* ---- result lines, in order --------------------------------------------------------------- */

/* Act on one judged line, in file order: reject it, or take its custom_id (a second result
 * for the same custom_id is rejected), say what became of its input, export its span and
 * count it. */
static void settle_line(collector *c, const line_chunk *chunk, const chunk_line *ln,
                        const chunk_verdicts *v, const line_verdict *verdict) {
    const char *path = c->results[chunk->file].name;
    diag_sink *diags = c->config->diags;
    if (verdict->kind == VERDICT_BLANK) return;
    if (verdict->kind == VERDICT_REJECTED) {
        bt_str message = text_of(&v->text, verdict->message);
        diag_reject(diags, path, ln->number, "%.*s", (int)message.len, message.ptr);
        return;
    }
    bt_str custom_id = text_of(&v->text, verdict->custom_id);
    int shown = custom_id.len > 80 ? 80 : (int)custom_id.len;
    if (verdict->no_entry) {
        diag_reject(diags, path, ln->number, "too many custom_ids for one run (over 2^32)");
        return;
    }
    index_entry *entry = &c->index.entries[verdict->entry_number];
    if (entry->flags & INDEX_HAS_RESULT) {
        diag_reject(diags, path, ln->number,
                    "second result for custom_id \"%.*s\" (first at %s:%u); this line is skipped",
                    shown, custom_id.ptr, c->results[entry->result_file].name,
                    entry->result_line);
        return;
    }
    /* Only settle changes these fields, and workers never read them. */
    entry->flags |= INDEX_HAS_RESULT;
    entry->result_file = chunk->file; /* below INDEX_RESULT_FILES_MAX: batchtrace_collect checks */
    entry->result_line = ln->number > UINT32_MAX ? UINT32_MAX : (uint32_t)ln->number;
    c->has_valid_record = true;
    if (verdict->input == INPUT_UNREADABLE) {
        bt_str message = text_of(&v->text, verdict->message);
        diag_warn(diags, path, ln->number, "the input could not be read back: %.*s",
                  (int)message.len, message.ptr);
    } else if (verdict->input == INPUT_NONE && c->has_input) {
        diag_warn(diags, path, ln->number,
                  "custom_id \"%.*s\" has no input; exported without its request", shown,
                  custom_id.ptr);
    }
    item_tally tally = verdict->tally;
    tally.model = text_of(&v->text, verdict->model);
    tally.custom_id = custom_id;
    tally.error_type = text_of(&v->text, verdict->error_type);
    tally.error_message = text_of(&v->text, verdict->error_message);
    if (take_item(c, entry)) {
        if (verdict->truncated) c->spans_truncated++;
        char reason[REASON_MAX];
        note_export(c, exporter_add_encoded(c->config->exporter, verdict->span_id,
                                            text_of(&v->text, verdict->name),
                                            text_of(&v->spans, verdict->span),
                                            verdict->entry_number, reason),
                    reason);
    }
    count_item(c, &tally);
}

/* Before a chunk's lines are settled: give every item line its index entry (a custom_id
 * without input gets a new one, in file order) and, with a context, claim the chunk's
 * items in one store transaction, so each is sent by one run only, and only once claimed.
 * -1 with reason when the store fails (the run stops; nothing it did not deliver is
 * recorded delivered). */
static int claim_chunk(collector *c, chunk_verdicts *v, size_t count, char *reason) {
    for (size_t i = 0; i < count; i++) {
        line_verdict *verdict = &v->verdicts[i];
        if (verdict->kind != VERDICT_ITEM) continue;
        if (verdict->input == INPUT_NONE) {
            bool existed;
            pthread_mutex_lock(&c->index_lock);
            index_entry *entry = index_insert(&c->index, text_of(&v->text, verdict->custom_id),
                                              &existed);
            pthread_mutex_unlock(&c->index_lock);
            verdict->no_entry = entry == NULL;
            if (!entry) continue;
            verdict->entry_number = (uint32_t)(entry - c->index.entries);
        }
        if (c->resume.active &&
            collect_claim(c, &c->index.entries[verdict->entry_number], reason) != 0)
            return -1;
    }
    return c->resume.active ? collect_claims_flush(c, reason) : 0;
}

/* Settle a judged chunk (line_chunk_ops.settle, on the caller's thread): claim its items,
 * act on its lines in order, then report progress. -1 with reason when the claims fail. */
static int settle_chunk(void *ctx, line_chunk *chunk, char *reason) {
    collector *c = ctx;
    chunk_verdicts *v = chunk->output;
    fault_point("collect.chunk");
    if (claim_chunk(c, v, chunk->count, reason) != 0) return -1;
    for (size_t i = 0; i < chunk->count; i++)
        settle_line(c, chunk, &chunk->lines[i], v, &v->verdicts[i]);
    if (c->config->on_progress) {
        uint64_t before = 0; /* the files before this one are read whole */
        for (size_t f = 0; f < chunk->file; f++) before += c->results[f].size;
        c->config->on_progress(c->config->callback_ctx, before + chunk->bytes_read,
                               c->results_bytes, c->item_spans);
    }
    return 0;
}

/* See collector.h. */
int items_stream(collector *c, char *reason) {
    static const line_chunk_ops ops = {
        .worker_new = result_worker_new,
        .worker_free = result_worker_free,
        .work = judge_chunk,
        .settle = settle_chunk,
        .output_free = verdicts_free,
    };
    return line_chunks_run(c->results, c->config->results_count, c->config->max_line,
                           line_chunks_default_workers(), &ops, c, reason);
}
