/* The collect engine's run (see collect.h): read the batch object, find the context, index
 * the inputs, choose the identities, claim the items, stream the results (items.c), end the
 * items without a result, export the task span and sum up. */
#include "batch/collect.h"
#include "batch/collector.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch/file_kind.h"
#include "batch/index.h"
#include "batch/inputs.h"
#include "batch/resume.h"
#include "json/json.h"
#include "report/cost.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/lines.h"
#include "util/timeutil.h"

enum {
    BATCH_OBJECT_MAX = 64 << 20,  /* a batch object is a few KiB; refuse absurd ones */
    MISSING_LISTED = 20,          /* custom_ids named in the "no result" diagnostic */
    CLAIM_CHUNK = 1000,           /* custom_ids claimed in the store per transaction */
};

/* How messages name the inputs taken from the store. */
#define STORED_INPUTS "the inputs kept in the store"


/* ---- files given to the wrong option ---------------------------------------------------- */

/* What src looks like when it is not what expected files are, or not of the provider
 * --provider names: "this looks like a results file: did you mean --results?", "this looks
 * like an input file of openai, not of anthropic (--provider anthropic)"; "" when it looks
 * right (or like nothing known). Fills hint (REASON_MAX bytes). */
static const char *file_hint(const collector *c, const source_t *src, file_kind expected,
                             char *hint) {
    hint[0] = '\0';
    /* An input may be a create body, one big document: not parsed twice for a hint. */
    file_guess guess = file_kind_guess(src, c->config->max_line, expected != FILE_KIND_REQUESTS);
    const provider_ops *forced = c->config->provider;
    if (guess.kind == FILE_KIND_UNKNOWN) return hint;
    if (guess.kind != expected)
        snprintf(hint, REASON_MAX, "this looks like %s: did you mean %s?",
                 file_kind_name(guess.kind), file_kind_option(guess.kind));
    else if (forced && !provider_same_format(guess.provider, forced))
        snprintf(hint, REASON_MAX, "this looks like %s of %s, not of %s (--provider %s)",
                 file_kind_name(guess.kind), guess.provider->name, forced->name, forced->name);
    return hint;
}

/* Warn when src, given to the option taking expected files, looks like another kind of
 * file or another provider's (file_hint). */
static void warn_file_kind(collector *c, const source_t *src, file_kind expected) {
    char hint[REASON_MAX];
    if (*file_hint(c, src, expected, hint)) diag_warn(c->config->diags, src->name, 0, "%s", hint);
}

/* ---- reading the batch object ------------------------------------------------------ */

/* Fail with "NAME: detail", and the hint of file_hint when the batch object's source looks
 * like something else than a batch object. -1. */
static int batch_failure(const collector *c, const source_t *src, const char *detail,
                         char *reason) {
    char hint[REASON_MAX];
    if (*file_hint(c, src, FILE_KIND_BATCH, hint))
        return fail(reason, "%s: %s; %s", src->name, detail, hint);
    return fail(reason, "%s: %s", src->name, detail);
}

/* Read and parse the batch object from spec (a file, "-", a pipe, gzip data, a buffer).
 * -1 with reason: the run cannot go on without it being understood (its status decides
 * every item's outcome). */
static int read_batch(collector *c, const batchtrace_source *spec, char *reason) {
    source_t src;
    json_doc doc = JSON_DOC_INIT;
    char detail[REASON_MAX];
    int rc = -1;
    /* A copy (a pipe, gzip data) stops at the cap: /dev/zero or a gzip bomb fills no disk. */
    const source_limits limits = {0, BATCH_OBJECT_MAX};
    if (source_open_public_limited(&src, spec, "<batch>", &limits, reason) != 0) {
        if (src.over_limit)
            fail(reason, "%s: over %d MiB: not a batch object", src.name, BATCH_OBJECT_MAX >> 20);
        goto done;
    }
    c->batch_name = xstrdup(src.name); /* messages name the source ("<stdin>" for "-") */
    const char *path = c->batch_name;
    if (src.size > BATCH_OBJECT_MAX) {
        fail(reason, "%s: over %d MiB: not a batch object", path, BATCH_OBJECT_MAX >> 20);
        goto done;
    }
    buf_grow(&c->batch_text, (size_t)src.size);
    ssize_t n = source_read_at(&src, c->batch_text.data, (size_t)src.size, 0, detail);
    if (n < 0) {
        fail(reason, "%s: %s", path, detail);
        goto done;
    }
    c->batch_text.len = (size_t)n;
    const char *text = buf_cstr(&c->batch_text);
    size_t len = c->batch_text.len;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) text += 3, len -= 3;
    if (json_parse(&doc, text, len, detail) != 0) {
        batch_failure(c, &src, detail, reason);
        goto done;
    }
    const provider_ops *provider = c->provider ? c->provider : provider_detect_batch(&doc, 0);
    if (!provider) {
        batch_failure(c, &src, "not a batch object of a known provider", reason);
        goto done;
    }
    if (provider_parse_batch(provider, &doc, 0, &c->batch_arena, &c->batch, detail) != 0 ||
        provider_batch_records(provider, &doc, 0, &c->batch_arena, &c->inlined_requests,
                               &c->inlined_results, detail) != 0) {
        batch_failure(c, &src, detail, reason);
        goto done;
    }
    c->provider = provider;
    c->has_batch = true;
    rc = 0;
done:
    json_doc_free(&doc);
    source_close(&src);
    return rc;
}

/* When the batch object carried records inline (read_batch), make them one more source, as
 * if given as files: the results after the caller's results, the requests as the input
 * when the caller gave none. c->config then points at that extended copy. Every later pass
 * reads them as it reads files (docs/design.md "Records inside the batch object"). */
static void add_inlined_sources(collector *c) {
    if (!c->inlined_requests.len && !c->inlined_results.len) return;
    const collect_config *config = c->config;
    c->inlined_config = *config;
    if (c->inlined_results.len) {
        size_t count = config->results_count;
        c->inlined_sources = xcalloc(count + 1, sizeof *c->inlined_sources);
        if (count) memcpy(c->inlined_sources, config->results, count * sizeof *config->results);
        c->inlined_sources[count] = (batchtrace_source){
            .kind = BATCHTRACE_SOURCE_BUFFER, .name = "<batch inlined responses>",
            .bytes = c->inlined_results.data, .len = c->inlined_results.len};
        c->inlined_config.results = c->inlined_sources;
        c->inlined_config.results_count = count + 1;
    }
    if (c->inlined_requests.len && !config->input) {
        c->inlined_input = (batchtrace_source){
            .kind = BATCHTRACE_SOURCE_BUFFER, .name = "<batch inlined requests>",
            .bytes = c->inlined_requests.data, .len = c->inlined_requests.len};
        c->inlined_config.input = &c->inlined_input;
    }
    c->config = &c->inlined_config;
}

/* ---- identities ----------------------------------------------------------------------- */

/* Read the result lines ahead of the main pass, silently (the main pass reports bad lines):
 * detect the provider from the first usable line; with index_ids (collect-only without
 * inputs), index every custom_id so the identities can derive from their digest; with
 * find_earliest (nothing else gives the task's start), keep the earliest item end time in
 * c->earliest_item_end_ns (0: no item has one). One pass over the results for all three. */
static int prescan_results(collector *c, bool index_ids, bool find_earliest, char *reason) {
    arena_t arena = ARENA_INIT;
    json_doc doc = JSON_DOC_INIT;
    bool parse_items = index_ids || find_earliest;
    int rc = 0;
    for (size_t f = 0; f < c->config->results_count && rc == 0; f++) {
        if (!parse_items && c->provider) break;
        line_reader reader;
        lines_open(&reader, &c->results[f], c->config->max_line);
        line ln;
        char detail[REASON_MAX];
        int got;
        while ((got = lines_next(&reader, &ln, detail)) == 1) {
            if (ln.too_long || json_parse(&doc, ln.ptr, ln.len, detail) != 0) continue;
            if (!c->provider) c->provider = provider_detect_result(&doc, 0);
            if (!c->provider) continue;
            if (!parse_items) break;
            bt_item item;
            memset(&item, 0, sizeof item);
            arena_reset(&arena);
            if (provider_parse_result(c->provider, &doc, 0, &arena, &item, detail) != 0)
                continue;
            if (item.end_time_ns > 0 && (c->earliest_item_end_ns == 0 ||
                                         item.end_time_ns < c->earliest_item_end_ns))
                c->earliest_item_end_ns = item.end_time_ns;
            if (!index_ids || item.custom_id.len == 0 || item.custom_id.len > UINT16_MAX)
                continue;
            bool existed;
            index_insert(&c->index, item.custom_id, &existed);
        }
        if (got < 0) {
            fail(reason, "%s: %s", c->results[f].name, detail);
            rc = -1;
        }
        lines_close(&reader);
    }
    json_doc_free(&doc);
    arena_free(&arena);
    return rc;
}

/* Whether the context or the batch object's created_at gives the task's start (SPEC
 * section 5); else the results' earliest item end does (docs/design.md "Time"). */
static bool task_start_given(const collector *c) {
    return c->resume.active || (c->has_batch && c->batch.created_ns > 0);
}

/* Pick the nonce, trace id, parent and task span id (docs/design.md "Identities"): from
 * the context when there is one. */
static void choose_identities(collector *c) {
    const char *provider = c->provider ? c->provider->name : "unknown";
    if (c->resume.active) {
        const context_claims *claims = &c->resume.claims;
        memcpy(c->nonce, claims->nonce, NONCE_LEN);
        memcpy(c->trace_id, claims->trace_id, 16);
        c->trace_flags = claims->trace_flags;
        c->has_parent = claims->has_parent;
        memcpy(c->parent_span_id, claims->parent_span_id, 8);
        identity_span_id(c->nonce, "task", STR_NULL, c->task_span_id);
        return;
    }
    if (c->batch_id.len) {
        identity_nonce_from_batch(provider, c->batch_id, c->nonce);
    } else {
        uint8_t digest[SHA256_LEN];
        index_digest(&c->index, digest);
        identity_nonce_from_digest(provider, digest, c->nonce);
    }
    c->trace_flags = 1; /* sampled */
    if (c->config->has_parent) {
        memcpy(c->trace_id, c->config->parent.trace_id, 16);
        c->trace_flags = c->config->parent.flags;
        c->has_parent = true;
        memcpy(c->parent_span_id, c->config->parent.span_id, 8);
    } else if (c->config->has_trace_id) {
        memcpy(c->trace_id, c->config->trace_id, 16);
    } else {
        identity_trace_id(c->nonce, c->trace_id);
    }
    identity_span_id(c->nonce, "task", STR_NULL, c->task_span_id);
}

/* ---- the context: claims in the store ------------------------------------------------- */

/* See collector.h. */
int collect_claims_flush(collector *c, char *reason) {
    size_t count = c->claim_queued;
    if (!count) return 0;
    c->claim_queued = 0;
    bt_str *ids = xcalloc(count, sizeof *ids);
    claim_outcome *outcomes = xcalloc(count, sizeof *outcomes);
    for (size_t i = 0; i < count; i++)
        ids[i] = index_custom_id(&c->index, &c->index.entries[c->claim_queue[i]]);
    int rc = store_items_claim(c->resume.store, c->resume.nonce, ids, count, outcomes, reason);
    for (size_t i = 0; i < count && rc == 0; i++) {
        index_entry *entry = &c->index.entries[c->claim_queue[i]];
        if (outcomes[i] == CLAIM_WON) entry->flags |= INDEX_CLAIMED;
        if (outcomes[i] == CLAIM_HELD) entry->flags |= INDEX_HELD;
    }
    free(ids);
    free(outcomes);
    return rc;
}

/* See collector.h. */
int collect_claim(collector *c, index_entry *entry, char *reason) {
    if (entry->flags & INDEX_CLAIM_ASKED) return 0;
    entry->flags |= INDEX_CLAIM_ASKED;
    if (!c->claim_queue) c->claim_queue = xcalloc(CLAIM_CHUNK, sizeof *c->claim_queue);
    c->claim_queue[c->claim_queued++] = (uint32_t)(entry - c->index.entries);
    return c->claim_queued == CLAIM_CHUNK ? collect_claims_flush(c, reason) : 0;
}

static bool task_provisional(const collector *c);

/* export_outcome_fn, with a context: once spans this run claimed are delivered or spooled,
 * record them delivered in one transaction (one per request). Lost spans stay claimed by
 * this run until its end gives them back. A failed mark is said once: those items are
 * sent again by a later collect (a duplicate, never a loss). */
static void on_export_outcome(void *ctx, const uint64_t *tags, size_t count,
                              export_outcome outcome) {
    collector *c = ctx;
    if (outcome == EXPORT_LOST) return;
    bt_str *ids = xcalloc(count, sizeof *ids);
    size_t id_count = 0;
    bool task = false;
    for (size_t i = 0; i < count; i++) {
        if (tags[i] == COLLECT_TASK_TAG) {
            task = c->task_claimed;
        } else if (tags[i] < c->index.count) {
            const index_entry *entry = &c->index.entries[tags[i]];
            if (entry->flags & INDEX_CLAIMED) ids[id_count++] = index_custom_id(&c->index, entry);
        }
    }
    char reason[REASON_MAX];
    int rc = id_count ? store_items_delivered(c->resume.store, c->resume.nonce, ids, id_count,
                                              reason)
                      : 0;
    if (rc == 0 && task)
        rc = store_task_delivered(c->resume.store, c->resume.nonce, task_provisional(c), reason);
    if (rc != 0 && !c->mark_failed) {
        c->mark_failed = true;
        diag_warn(c->config->diags, "", 0, "%s; spans delivered now may be sent again by a "
                  "later collect", reason);
    }
    free(ids);
}

/* With a context, at the end: give back what this run claimed and did not deliver (lost
 * spans, lines that turned out unusable), so a later collect sends them, and note the
 * batch's status. */
static void settle_claims(collector *c) {
    char reason[REASON_MAX];
    if (store_run_release(c->resume.store, reason) != 0)
        diag_warn(c->config->diags, "", 0, "%s (a later collect takes them over once this "
                  "one has ended)", reason);
    if (c->has_batch && c->batch.status.len) {
        char *status = xstrndup(c->batch.status.ptr, c->batch.status.len);
        if (store_batch_set_status(c->resume.store, c->resume.nonce, status, reason) != 0)
            diag_warn(c->config->diags, "", 0, "%s", reason);
        free(status);
    }
}

/* Find the context (batch/resume.h) and take the inputs from the store when none were
 * given. -1 with reason when the store cannot be used. */
static int find_context(collector *c, char *reason) {
    char *metadata_token = c->has_batch && c->batch.context_token.len
                               ? xstrndup(c->batch.context_token.ptr, c->batch.context_token.len)
                               : NULL;
    char *batch_id = c->batch_id.len ? xstrndup(c->batch_id.ptr, c->batch_id.len) : NULL;
    resume_request request = {c->config->context_token, metadata_token, batch_id,
                              c->config->batch_id != NULL, c->config->store_url,
                              c->config->now_ns};
    int rc = resume_find(&c->resume, &request, c->config->diags, reason);
    free(metadata_token);
    free(batch_id);
    if (rc != 0 || !c->resume.active || c->config->input || !c->resume.record.inputs_kept)
        return rc;
    char detail[REASON_MAX];
    if (resume_restore_inputs(c->resume.store, c->resume.nonce, STORED_INPUTS, &c->input_source,
                              detail) != 0)
        return fail(reason, "the inputs kept in the store cannot be read: %s", detail);
    return 0;
}

/* With a context, once the inputs are indexed: drop it when it was made for another
 * provider or other inputs; else record the batch (and its id) in the store. -1 with
 * reason when the store fails. */
static int check_context(collector *c, char *reason) {
    const context_claims *claims = &c->resume.claims;
    char why[REASON_MAX];
    /* A provider writing the same records (Mistral's or Azure's batch object seen, the
     * inputs read as OpenAI's at start) keeps the context. */
    if (c->provider && !provider_same_format(c->provider, provider_by_name(claims->provider))) {
        snprintf(why, sizeof why, "it was made for a batch of %s, not %s", claims->provider,
                 c->provider->name);
        resume_drop(&c->resume, c->config->diags, why);
        return 0;
    }
    uint8_t digest[SHA256_LEN];
    if (c->has_input && !resume_digest_unknown(claims)) {
        index_digest(&c->index, digest);
        if (memcmp(digest, claims->input_digest, SHA256_LEN) != 0) {
            snprintf(why, sizeof why, "it was made for other inputs (the custom_ids of %s "
                     "differ)", c->input.name);
            resume_drop(&c->resume, c->config->diags, why);
            return 0;
        }
    }
    char *batch_id = xstrndup(c->batch_id.ptr ? c->batch_id.ptr : "", c->batch_id.len);
    int rc = resume_record(&c->resume, batch_id, why);
    free(batch_id);
    if (rc == STORE_CONFLICT) {
        resume_drop(&c->resume, c->config->diags, why);
        return 0;
    }
    if (rc != 0) return fail(reason, "%s", why);
    if (!c->batch_id.len && c->resume.record.batch_id) c->batch_id = str_c(c->resume.record.batch_id);
    if (c->config->parent_from_flag)
        diag_warn(c->config->diags, "", 0, "--parent and --trace-id are ignored: the context "
                  "from %s names the trace", c->resume.source);
    return 0;
}

/* Without a context (and no token given), a batch object's batch in the store the user
 * named (--store, $BATCHTRACE_STORE): record it under its collect-only identities and use
 * that record as the context (batch/resume.h, resume_adopt), so the items' exported marks are
 * kept and `sync` or a later collect does not send them again. A store that cannot record
 * it is a warning: the run goes on collect-only, exporting as before. */
static void adopt_batch(collector *c) {
    const collect_config *config = c->config;
    adopt_linkage linkage;
    memset(&linkage, 0, sizeof linkage);
    linkage.has_parent = config->has_parent;
    linkage.parent = config->parent;
    linkage.has_trace_id = config->has_trace_id;
    memcpy(linkage.trace_id, config->trace_id, 16);
    int64_t start_ns = c->batch.created_ns > 0 ? c->batch.created_ns
                       : c->earliest_item_end_ns > 0 && c->earliest_item_end_ns < config->now_ns
                           ? c->earliest_item_end_ns
                           : config->now_ns;
    int64_t count = c->batch.count_total.has ? c->batch.count_total.value : 0;
    char *batch_id = xstrndup(c->batch_id.ptr, c->batch_id.len);
    char why[REASON_MAX];
    int rc = resume_adopt(&c->resume, c->provider->name, batch_id, start_ns,
                          count > 0 ? (uint64_t)count : 0, &linkage, why);
    if (rc != 0) {
        c->resume.active = false;
        diag_warn(config->diags, "", 0, "batch %s cannot be recorded in the store %s (%s): "
                  "collecting without it, so another run or `batchtrace sync` may send its "
                  "spans again", batch_id, store_url(c->resume.store), why);
    }
    free(batch_id);
}

/* With a context, once the batch is settled: claim its task span. c->task_claimed says
 * whether this run won it, c->task_held whether another live run holds it; *before
 * whether a run delivered it. A provisional task (no batch object) is claimed as such, so
 * that a later collect with the batch object sends it once more, final. -1 with reason
 * when the store fails. */
static int claim_task(collector *c, bool provisional, bool *before, char *reason) {
    claim_outcome outcome;
    if (store_task_claim(c->resume.store, c->resume.nonce, provisional, &outcome, reason) != 0)
        return -1;
    c->task_claimed = outcome == CLAIM_WON;
    c->task_held = outcome == CLAIM_HELD;
    *before = outcome == CLAIM_DELIVERED;
    return 0;
}

/* The error description of a batch that ended without completing ("batch expired"); the
 * normalized state, not the raw status (Anthropic says "ended" for all of them). Spelled as
 * the provider spells its own values: OpenAI "cancelled", Anthropic "canceled". */
static const char *unfinished_message(const collector *c, batch_state state) {
    bool anthropic = c->provider && strcmp(c->provider->name, "anthropic") == 0;
    switch (state) {
    case BATCH_FAILED: return "batch failed";
    case BATCH_EXPIRED: return "batch expired";
    case BATCH_CANCELLED: return anthropic ? "batch canceled" : "batch cancelled";
    default: return "";
    }
}

/* How the batch ended, for the task span: the batch object's state, else what the items
 * say (only a cancellation gives canceled items, only the time limit expired ones; neither:
 * unknown, which the task shows as not failed). */
static batch_state task_state(const collector *c) {
    if (c->has_batch) return c->batch.state;
    if (c->canceled) return BATCH_CANCELLED;
    if (c->expired) return BATCH_EXPIRED;
    return BATCH_UNKNOWN;
}

/* True for the states a task span shows as ERROR. */
static bool state_unfinished(batch_state state) {
    return state == BATCH_FAILED || state == BATCH_EXPIRED || state == BATCH_CANCELLED;
}

/* Whether the task would be provisional: no batch object, and some item's end is the
 * collection time (its record has no timestamp: every Anthropic result, OpenAI error
 * lines), so the task's end is an observation, not the batch's. A later collect with the
 * batch object sends the task again with the batch's times (docs/design.md "Outcomes"). */
static bool task_provisional(const collector *c) {
    return !c->has_batch && c->ends_observed > 0;
}

/* Whether the provider wrote no result line for the items that have none, so that they
 * end with the batch (docs/design.md "Outcomes"). A failed OpenAI batch ran nothing. An
 * expired or cancelled one wrote a line for each request its request_counts count
 * (completed + failed, the batch_expired and batch_cancelled lines included): once the
 * results hold that many, the others never got one. Anthropic writes a line for every
 * request of an ended batch (count_with_line counts them all), so there an item without a
 * line is always missing from the results given. Without a batch object nobody says. */
static bool provider_wrote_no_line(const collector *c) {
    if (!c->has_batch) return false;
    if (c->batch.state == BATCH_FAILED) return true;
    if (c->batch.state != BATCH_EXPIRED && c->batch.state != BATCH_CANCELLED) return false;
    return c->batch.count_with_line.has &&
           c->item_spans >= (uint64_t)c->batch.count_with_line.value;
}

/* The error of a failed batch (OpenAI errors.data) that names entry's input line, or
 * NULL. */
static const batch_error *error_naming_line(const collector *c, const index_entry *entry) {
    if (!c->has_batch) return NULL;
    for (size_t i = 0; i < c->batch.error_count; i++) {
        const batch_error *error = &c->batch.errors[i];
        if (error->line.has && error->line.value == (int64_t)entry->record_line) return error;
    }
    return NULL;
}

/* What an item with no result becomes when the batch is over and the provider wrote no line
 * for it; an error of the batch that names its input line gives its error.type and
 * message. */
static void close_unresolved(collector *c, index_entry *entry, item_result result,
                             const char *error_type, const char *message) {
    arena_reset(&c->item_arena);
    bt_item item;
    memset(&item, 0, sizeof item);
    char reason[REASON_MAX];
    if (items_load_request(c, entry, &c->request_text, &c->request_doc, &c->item_arena, &item,
                           reason) != 0) {
        diag_warn(c->config->diags, "", 0, "%s", reason);
        item.custom_id = index_custom_id(&c->index, entry);
        item.provider = c->provider->name;
    }
    items_default_model(c, &item);
    item.result = result;
    item.error_type = str_c(error_type);
    item.error_message = str_c(message);
    item.batch_error = error_naming_line(c, entry);
    if (item.batch_error && str_some(item.batch_error->code))
        item.error_type = item.batch_error->code;
    if (item.batch_error && str_some(item.batch_error->message))
        item.error_message = item.batch_error->message;
    items_emit(c, &item, entry);
}

/* Items that have inputs but no result: end them with the batch (the provider wrote no
 * line for them) or leave them pending and say which (SPEC section 3, Terminal outcomes).
 * -1 with reason when the store cannot claim the items about to be ended. */
static int resolve_unmatched(collector *c, char *reason) {
    if (!c->has_input) return 0;
    size_t count;
    index_entry **sorted =
        index_sorted_where(&c->index, INDEX_HAS_INPUT, INDEX_HAS_RESULT, &count);
    batch_state state = c->has_batch ? c->batch.state : BATCH_UNKNOWN;
    buf_t listed = BUF_INIT;
    const char *message = unfinished_message(c, state);
    bool closing = count > 0 && provider_wrote_no_line(c);
    uint64_t lines_seen = c->item_spans;
    if (closing && c->resume.active) { /* the items about to be ended are claimed first */
        int rc = 0;
        for (size_t i = 0; i < count && rc == 0; i++) rc = collect_claim(c, sorted[i], reason);
        if (rc != 0 || collect_claims_flush(c, reason) != 0) {
            free(sorted);
            return -1;
        }
    }
    for (size_t i = 0; i < count; i++) {
        index_entry *entry = sorted[i];
        /* error.type is OpenAI's own code for such an item, as its error lines carry. */
        if (closing && state == BATCH_EXPIRED) {
            close_unresolved(c, entry, RESULT_EXPIRED, "batch_expired", message);
        } else if (closing && state == BATCH_CANCELLED) {
            close_unresolved(c, entry, RESULT_CANCELED, "batch_cancelled", message);
        } else if (closing) {
            close_unresolved(c, entry, RESULT_MISSING, "missing", message);
        } else {
            if (c->pending < MISSING_LISTED) {
                bt_str id = index_custom_id(&c->index, entry);
                buf_printf(&listed, "%s%.*s", c->pending ? ", " : "", (int)id.len, id.ptr);
            }
            c->pending++;
        }
    }
    if (c->pending && state != BATCH_RUNNING) {
        buf_t counted = BUF_INIT;
        if (c->has_batch && c->batch.count_with_line.has &&
            lines_seen < (uint64_t)c->batch.count_with_line.value)
            buf_printf(&counted, ": the batch object counts %lld result lines, the results "
                                 "hold %llu",
                       (long long)c->batch.count_with_line.value,
                       (unsigned long long)lines_seen);
        diag_warn(c->config->diags, c->input.name, 0,
                  "%llu item%s no result: %s%s; the batch stays incomplete%s (collect again "
                  "with the complete results)",
                  (unsigned long long)c->pending, c->pending == 1 ? " has" : "s have",
                  buf_cstr(&listed), c->pending > MISSING_LISTED ? ", ..." : "",
                  buf_cstr(&counted));
        buf_free(&counted);
    }
    buf_free(&listed);
    free(sorted);
    return 0;
}

/* Compare the batch object's request_counts with what the records hold. */
static void check_request_counts(collector *c) {
    if (!c->has_batch || c->batch.state == BATCH_RUNNING) return;
    uint64_t total = c->item_spans + c->pending;
    const char *path = c->batch_name;
    /* A batch that failed validation reports zero counts: nothing to compare. */
    bool failed_unprocessed = c->batch.state == BATCH_FAILED && c->batch.count_total.has &&
                              c->batch.count_total.value == 0;
    if (failed_unprocessed) return;
    if (c->batch.count_total.has && (uint64_t)c->batch.count_total.value != total)
        diag_warn(c->config->diags, path, 0,
                  "request_counts.total is %lld but the records hold %llu items",
                  (long long)c->batch.count_total.value, (unsigned long long)total);
    if (c->batch.count_succeeded.has && (uint64_t)c->batch.count_succeeded.value != c->succeeded)
        diag_warn(c->config->diags, path, 0,
                  "request_counts say %lld succeeded but the results hold %llu",
                  (long long)c->batch.count_succeeded.value, (unsigned long long)c->succeeded);
}

/* The task's end: the batch's terminal time, else the latest item end, else now; never
 * before its start (SPEC section 5, Timestamps). */
static int64_t task_end_ns(const collector *c) {
    int64_t end = c->has_batch && c->batch.terminal_ns > 0 ? c->batch.terminal_ns
                  : c->latest_item_end_ns > 0               ? c->latest_item_end_ns
                                                            : c->config->now_ns;
    return end < c->task_start_ns ? c->task_start_ns : end;
}

/* One warning per model whose items have tokens but no price (they get no cost, never a
 * guess). */
static void warn_unpriced(collector *c) {
    for (size_t i = 0; i < c->stats.model_count; i++) {
        const stats_model *m = &c->stats.models[i];
        if (!m->unpriced_items) continue;
        diag_warn(c->config->diags, "", 0,
                  "no price for %s model \"%.100s\": its %llu item%s get%s no cost (add it "
                  "to a table given with --prices FILE)",
                  c->provider ? c->provider->name : "", *m->name ? m->name : "(none)",
                  (unsigned long long)m->unpriced_items, m->unpriced_items == 1 ? "" : "s",
                  m->unpriced_items == 1 ? "s" : "");
    }
}

/* With a context: keep the run's report in the store, for `batchtrace report --batch-id`
 * (a failure is a warning: the spans are what the run is for). */
static void keep_report(collector *c, const collect_outcome *outcome) {
    char *json = collect_report_json(outcome);
    char reason[REASON_MAX];
    if (store_report_put(c->resume.store, c->resume.nonce, json, reason) != 0)
        diag_warn(c->config->diags, "", 0, "the report was not kept in the store: %s", reason);
    free(json);
}

/* Build and export the task span, once the batch is settled. */
static void emit_task(collector *c) {
    arena_reset(&c->item_arena);
    span_t span;
    span_init(&span, &c->item_arena);
    memcpy(span.trace_id, c->trace_id, 16);
    memcpy(span.span_id, c->task_span_id, 8);
    if (c->has_parent) {
        memcpy(span.parent_span_id, c->parent_span_id, 8);
        span.has_parent = true;
    }
    span.flags = c->trace_flags;
    buf_t name = BUF_INIT;
    buf_printf(&name, "%s.batch", c->provider->name);
    span.name = arena_strndup(&c->item_arena, name.data, name.len);
    buf_free(&name);
    span.kind = SPAN_KIND_INTERNAL;
    span.start_ns = (uint64_t)c->task_start_ns;
    span.end_ns = (uint64_t)task_end_ns(c);
    batch_state state = task_state(c);
    if (state_unfinished(state)) {
        span.status = SPAN_STATUS_ERROR;
        span.status_message = str_c(unfinished_message(c, state));
    }
    bt_str *models = arena_calloc(&c->item_arena, c->model_count, sizeof *models);
    for (size_t i = 0; i < c->model_count; i++) models[i] = str_c(c->models[i]);
    bt_str endpoint = c->has_batch ? c->batch.endpoint : STR_NULL;
    task_totals totals = {
        .provider = c->provider->name,
        .batch_id = c->batch_id,
        .endpoint = endpoint,
        .batch_status = c->has_batch ? c->batch.status : STR_NULL,
        .total = c->item_spans + c->pending,
        .succeeded = c->succeeded,
        .errored = c->errored,
        .canceled = c->canceled,
        .expired = c->expired,
        .missing = c->missing + c->pending,
        .models = models,
        .model_count = c->model_count,
        .tokens = c->tokens,
        .provisional = task_provisional(c),
        .has_cost = c->stats.priced_items > 0,
        .cost_usd = cost_round(c->stats.cost_usd),
        .cost_saved_usd = cost_round(c->stats.saved_usd),
    };
    if (c->has_batch) {
        totals.input_file_id = c->batch.input_file_id;
        totals.output_file_id = c->batch.output_file_id;
        totals.error_file_id = c->batch.error_file_id;
        totals.metadata = c->batch.metadata;
        totals.errors = c->batch.errors;
        totals.error_count = c->batch.error_count;
        totals.batch = &c->batch;
    }
    convention_ctx ctx = {totals.batch_id, c->config->no_content};
    for (size_t i = 0; i < c->config->convention_count; i++)
        c->config->conventions[i]->task(&span, &totals, &ctx);
    items_export_span(c, &span, COLLECT_TASK_TAG);
}

/* ---- the run ---------------------------------------------------------------------------- */

/* Open every results file up front, as the sources every pass reads (a pipe or gzip data
 * is spooled here, once), so that an unreadable one stops the run before any span is
 * exported. */
static int open_results(collector *c, char *reason) {
    const source_limits limits = {lines_limit(c->config->max_line), 0};
    c->results = xcalloc(c->config->results_count ? c->config->results_count : 1,
                         sizeof *c->results);
    for (size_t f = 0; f < c->config->results_count; f++) {
        if (source_open_public_limited(&c->results[f], &c->config->results[f], "<results>",
                                       &limits, reason) != 0)
            return -1;
        c->results_bytes += c->results[f].size;
    }
    return 0;
}

/* Open the inputs (--input) when given; else find_context restored the store's copy into
 * c->input_source, or there are none. Then index them. -1 with reason. */
static int index_inputs(collector *c, char *reason) {
    const collect_config *config = c->config;
    const source_limits limits = {lines_limit(config->max_line), 0};
    if (config->input && source_open_public_limited(&c->input_source, config->input,
                                                    "<requests>", &limits, reason) != 0)
        return -1;
    if (!c->input_source.name) return 0; /* no inputs */
    if (config->input) warn_file_kind(c, &c->input_source, FILE_KIND_REQUESTS);
    const provider_ops *provider = c->provider;
    if (!provider && !config->input) provider = provider_by_name(c->resume.claims.provider);
    if (inputs_index_limited(&c->input, &c->input_source, provider, &c->index, config->diags,
                             config->max_line, reason) != 0)
        return -1;
    c->has_input = true;
    if (!c->provider) c->provider = c->input.provider;
    if (c->input.record_count) c->has_valid_record = true;
    return 0;
}

/* One sentence on how the batch stands, for the human summary. task_done: the task span
 * was exported, by this run or (with a context) an earlier one. */
static char *describe_outcome(const collector *c, bool task_done) {
    buf_t text = BUF_INIT;
    batch_state state = task_state(c);
    if (state == BATCH_RUNNING)
        buf_printf(&text, "batch %.*s: %llu item%s pending; collect again when it ends",
                   (int)c->batch.status.len, c->batch.status.ptr,
                   (unsigned long long)c->pending, c->pending == 1 ? "" : "s");
    else if (c->pending)
        buf_printf(&text, "incomplete: %llu item%s without a result; collect again with the "
                          "complete results",
                   (unsigned long long)c->pending, c->pending == 1 ? "" : "s");
    else if (c->items_held)
        buf_printf(&text, "another collect is working on %llu item%s; collect again once it "
                          "has ended", (unsigned long long)c->items_held,
                   c->items_held == 1 ? "" : "s");
    else if (c->task_held)
        buf_puts(&text, "another collect is working on the task; collect again once it has "
                        "ended");
    else if (task_done && state_unfinished(state) && c->has_batch)
        buf_printf(&text, "%s (status \"%.*s\")", unfinished_message(c, state),
                   (int)c->batch.status.len, c->batch.status.ptr);
    else if (task_done && state_unfinished(state))
        buf_printf(&text, "%s (as the item results say)", unfinished_message(c, state));
    else if (task_done && c->has_batch)
        buf_printf(&text, "batch %.*s", (int)c->batch.status.len, c->batch.status.ptr);
    else if (task_done && task_provisional(c))
        buf_puts(&text, "every item has its result; the task is provisional");
    else if (task_done)
        buf_puts(&text, "complete");
    else
        buf_puts(&text, "no usable records: nothing to export");
    if (task_done && task_provisional(c) && state_unfinished(state))
        buf_puts(&text, "; the task is provisional");
    return buf_detach(&text);
}

int collect_run(const collect_config *config, collect_outcome *outcome, char *reason) {
    collector *c = xcalloc(1, sizeof *c);
    c->config = config;
    c->provider = config->provider;
    pthread_mutex_init(&c->index_lock, NULL);
    int rc = -1;
    memset(outcome, 0, sizeof *outcome);

    if (config->batch && read_batch(c, config->batch, reason) != 0) goto done;
    add_inlined_sources(c);
    config = c->config;
    c->batch_id = c->has_batch && c->batch.id.len ? c->batch.id : str_c(config->batch_id);
    if (config->batch_id && !str_eq_c(c->batch_id, config->batch_id)) {
        fail(reason, "--batch-id %.100s does not match the batch object's id %.*s",
             config->batch_id, (int)(c->batch_id.len > 100 ? 100 : c->batch_id.len),
             c->batch_id.ptr);
        goto done;
    }
    if (open_results(c, reason) != 0) goto done;
    for (size_t f = 0; f < config->results_count; f++)
        warn_file_kind(c, &c->results[f], FILE_KIND_RESULTS);
    if (!config->report_only && find_context(c, reason) != 0) goto done;
    if (index_inputs(c, reason) != 0) goto done;
    bool find_earliest = !task_start_given(c);
    if ((!c->has_input || !c->provider || find_earliest) &&
        prescan_results(c, !c->has_input, find_earliest, reason) != 0)
        goto done;
    if (c->resume.active && check_context(c, reason) != 0) goto done;
    /* A context dropped by check_context gave no start: the results are read for it. */
    if (!find_earliest && !task_start_given(c) && prescan_results(c, false, true, reason) != 0)
        goto done;
    /* A token that was given and dropped leaves the run collect-only and records nothing. */
    bool token_given = config->context_token || c->batch.context_token.len;
    if (!c->resume.active && !token_given && !config->report_only && c->has_batch &&
        c->batch_id.len && c->provider && store_url_named(config->store_url))
        adopt_batch(c);
    choose_identities(c);
    c->task_start_ns = c->resume.active                          ? c->resume.claims.start_ns
                       : c->has_batch && c->batch.created_ns > 0 ? c->batch.created_ns
                       : c->earliest_item_end_ns > 0 && c->earliest_item_end_ns < config->now_ns
                           ? c->earliest_item_end_ns
                           : config->now_ns;
    /* With a context, the exporter says what it delivered: the store records it then. */
    if (c->resume.active) exporter_on_outcome(config->exporter, on_export_outcome, c);

    if (items_stream(c, reason) != 0) goto done;
    bool task_exported = false, task_exported_before = false;
    if (c->provider) {
        if (resolve_unmatched(c, reason) != 0) goto done;
        check_request_counts(c);
        batch_state state = c->has_batch ? c->batch.state : BATCH_UNKNOWN;
        /* Records were given and none was usable (a wrong --provider, the wrong files), and
         * no batch object: nothing the task could describe. (Empty files are an empty
         * batch.) */
        bool describable = c->has_valid_record || c->has_batch ||
                           config->diags->rejected.total == 0;
        if (state != BATCH_RUNNING && c->pending == 0 && c->items_held == 0 && describable) {
            if (c->resume.active &&
                claim_task(c, task_provisional(c), &task_exported_before, reason) != 0)
                goto done;
            if ((!task_exported_before && !c->task_held) || config->force) {
                emit_task(c);
                task_exported = true;
                if (task_provisional(c))
                    diag_warn(config->diags, "", 0,
                              "the task span is provisional: without the batch object, its "
                              "end is the collection time; collect again with --batch FILE "
                              "to finish it");
            }
        }
    } else {
        diag_warn(config->diags, "", 0,
                  "no usable records: could not tell the provider (use --provider)");
    }

    warn_unpriced(c);
    export_report report = {0, 0};
    char export_reason[REASON_MAX] = "";
    if (exporter_finish(config->exporter, &report, export_reason) != 0 && !c->export_failed) {
        c->export_failed = true;
        memcpy(c->export_reason, export_reason, REASON_MAX);
    }
    if (c->export_failed) diag_error(config->diags, "", 0, "export failed: %s", c->export_reason);
    if (c->resume.active) settle_claims(c);

    outcome->provider = xstrdup(c->provider ? c->provider->name : "");
    outcome->batch_id = xstrndup(c->batch_id.ptr ? c->batch_id.ptr : "", c->batch_id.len);
    outcome->batch_status =
        c->has_batch ? xstrndup(c->batch.status.ptr, c->batch.status.len) : xstrdup("");
    outcome->outcome = describe_outcome(c, task_exported || task_exported_before);
    uint64_t exported_before = 0;
    if (task_exported_before && !task_exported && c->items_sent == 0 &&
        store_exported_count(c->resume.store, c->resume.nonce, &exported_before, reason) == 0) {
        free(outcome->outcome);
        buf_t text = BUF_INIT;
        buf_printf(&text, "already collected: %llu item%s and the task were exported before; "
                          "use --force to send them again",
                   (unsigned long long)exported_before, exported_before == 1 ? "" : "s");
        outcome->outcome = buf_detach(&text);
    }
    outcome->items_skipped = c->items_skipped;
    hex_encode(c->trace_id, 16, outcome->trace_id);
    if (task_exported) hex_encode(c->task_span_id, 8, outcome->task_span_id);
    outcome->spans_exported = report.spans_exported;
    outcome->spans_failed = report.spans_failed;
    outcome->total = c->item_spans + c->pending;
    outcome->succeeded = c->succeeded;
    outcome->errored = c->errored;
    outcome->canceled = c->canceled;
    outcome->expired = c->expired;
    outcome->missing = c->missing + c->pending;
    outcome->tokens_input = c->tokens.input;
    outcome->tokens_output = c->tokens.output;
    outcome->tokens_cache_read = c->tokens.cache_read;
    outcome->tokens_cache_creation = c->tokens.cache_creation;
    outcome->tokens_reasoning = c->tokens.reasoning;
    outcome->spans_truncated = c->spans_truncated;
    stats_sort_groups(&c->stats);
    outcome->stats = c->stats;
    memset(&c->stats, 0, sizeof c->stats);
    outcome->task_start_ns = c->task_start_ns;
    outcome->task_end_ns = task_end_ns(c);
    if (c->resume.active) keep_report(c, outcome);

    batch_state state = c->has_batch ? c->batch.state : BATCH_UNKNOWN;
    if (!c->has_valid_record && config->diags->rejected.total > 0)
        outcome->exit_code = BATCHTRACE_EXIT_FATAL;
    else if (c->export_failed)
        outcome->exit_code = BATCHTRACE_EXIT_EXPORT_FAILED;
    else if (state == BATCH_RUNNING || c->pending || c->items_held || c->task_held)
        outcome->exit_code = BATCHTRACE_EXIT_INCOMPLETE;
    else if (config->diags->rejected.total > 0)
        outcome->exit_code = BATCHTRACE_EXIT_REJECTED;
    else
        outcome->exit_code = BATCHTRACE_EXIT_OK;
    rc = 0;
done:
    exporter_on_outcome(config->exporter, NULL, NULL);
    if (c->results) {
        for (size_t f = 0; f < config->results_count; f++) source_close(&c->results[f]);
        free(c->results);
    }
    source_close(&c->input_source);
    index_free(&c->index);
    arena_free(&c->batch_arena);
    arena_free(&c->item_arena);
    buf_free(&c->batch_text);
    buf_free(&c->inlined_requests);
    buf_free(&c->inlined_results);
    free(c->inlined_sources);
    buf_free(&c->request_text);
    json_doc_free(&c->request_doc);
    for (size_t i = 0; i < c->model_count; i++) free(c->models[i]);
    free(c->models);
    stats_free(&c->stats);
    resume_close(&c->resume);
    free(c->batch_name);
    free(c->claim_queue);
    pthread_mutex_destroy(&c->index_lock);
    free(c);
    return rc;
}

/* See collect.h. */
int collect_time_now(int64_t *now_ns, bool *pinned, char *reason) {
    const char *text = getenv("BATCHTRACE_NOW");
    *pinned = text && *text;
    if (!*pinned) {
        *now_ns = time_now_ns();
        return 0;
    }
    if (time_parse_rfc3339(text, strlen(text), now_ns) != 0)
        return fail(reason, "BATCHTRACE_NOW is not an RFC 3339 timestamp: \"%.40s\"", text);
    return 0;
}

/* See collect.h. */
char *collect_report_json(const collect_outcome *outcome) {
    buf_t out = BUF_INIT;
    jw_t w;
    jw_init(&w, &out);
    stats_batch batch = {outcome->provider, outcome->batch_id, outcome->batch_status,
                         outcome->task_start_ns, outcome->task_end_ns};
    stats_write_json(&outcome->stats, &batch, &w);
    return buf_detach(&out);
}

void collect_outcome_free(collect_outcome *outcome) {
    stats_free(&outcome->stats);
    free(outcome->provider);
    free(outcome->batch_id);
    free(outcome->batch_status);
    free(outcome->outcome);
    memset(outcome, 0, sizeof *outcome);
}
