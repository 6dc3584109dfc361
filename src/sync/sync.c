#include "sync/sync.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch/collect.h"
#include "batch/context.h"
#include "batch/resume.h"
#include "export/url.h"
#include "json/json.h"
#include "providers/provider.h"
#include "store/store.h"
#include "sync/fetch.h"
#include "util/alloc.h"
#include "util/hash.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/reason.h"

/* Batches asked for per list page (both providers allow 100; Anthropic up to 1000). */
#define LIST_PAGE_LIMIT 100
/* The largest list page or batch object read. */
#define SMALL_ANSWER_MAX (64 * 1024 * 1024)

/* One provider's API: where it is and how its paths read. */
typedef struct provider_api {
    const char *name;              /* "openai" | "anthropic" */
    const char *key_variable;      /* OPENAI_API_KEY */
    const char *base_variable;     /* OPENAI_BASE_URL */
    const char *default_base;      /* the SDKs' default base URL */
    const char *batches_path;      /* the list (and, with "/ID", one batch) under the base */
    const char *cursor_param;      /* the list's cursor: "after" | "after_id" */
} provider_api;

static const provider_api openai_api = {"openai", "OPENAI_API_KEY", "OPENAI_BASE_URL",
                                        "https://api.openai.com/v1", "/batches", "after"};
static const provider_api anthropic_api = {"anthropic", "ANTHROPIC_API_KEY",
                                           "ANTHROPIC_BASE_URL", "https://api.anthropic.com",
                                           "/v1/messages/batches", "after_id"};

/* A sync run's state. */
typedef struct syncer {
    const sync_options *options;
    const provider_api *api_desc;
    const provider_ops *provider;
    sync_api api;                  /* the key's header lines (secret) */
    char *base;                    /* the base URL (owned) */
    char *store_url;               /* resolved (owned) */
    store_t *store;                /* owned; open only while handle_batch reads it */
    int64_t now_ns;
    sync_totals *totals;
    int exit_code;                 /* the most severe so far */
    bool interrupted;              /* SIGINT/SIGTERM cut a collect short: list no further */
} syncer;

/* How severe an exit code is (SPEC section 8: 2, 1, 5, 4, 3, 0). */
static int severity(int exit_code) {
    switch (exit_code) {
    case BATCHTRACE_EXIT_USAGE: return 5;
    case BATCHTRACE_EXIT_FATAL: return 4;
    case BATCHTRACE_EXIT_EXPORT_FAILED: return 3;
    case BATCHTRACE_EXIT_INCOMPLETE: return 2;
    case BATCHTRACE_EXIT_REJECTED: return 1;
    default: return 0;
    }
}

/* Fold a batch's exit code into the run's. */
static void note_exit(syncer *s, int exit_code) {
    if (severity(exit_code) > severity(s->exit_code)) s->exit_code = exit_code;
}

/* Whether id can go into a URL path as it is (the providers' ids are letters, digits, '_',
 * '-' and '.'); anything else is refused rather than escaped. */
static bool id_is_plain(bt_str id) {
    if (!id.len || id.len > 200) return false;
    for (size_t i = 0; i < id.len; i++) {
        char c = id.ptr[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

/* The base URL with path appended, then query (may be NULL) after any query the base has
 * (Azure's ?api-version=...). malloc'd. */
static char *api_url(const syncer *s, const char *path, const char *query) {
    char *joined = url_append_path(s->base, path);
    if (!query) return joined;
    buf_t url = BUF_INIT;
    const char *fragment = strchr(joined, '#');
    size_t head = fragment ? (size_t)(fragment - joined) : strlen(joined);
    buf_append(&url, joined, head);
    buf_putc(&url, memchr(joined, '?', head) ? '&' : '?');
    buf_puts(&url, query);
    if (fragment) buf_puts(&url, fragment);
    free(joined);
    return buf_detach(&url);
}

/* Tell the caller something, if it listens. */
static void notice(const syncer *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void notice(const syncer *s, const char *fmt, ...) {
    if (!s->options->on_notice) return;
    char text[REASON_MAX * 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    s->options->on_notice(s->options->callback_ctx, text);
}

/* sync_api's notice: retries of a request. */
static void on_fetch_notice(void *ctx, const char *text) {
    const syncer *s = ctx;
    notice(s, "%s", text);
}

/* Report one batch to the caller and count it. */
static void report(syncer *s, const sync_batch_report *batch) {
    switch (batch->action) {
    case SYNC_COLLECTED: s->totals->collected++; break;
    case SYNC_PENDING: s->totals->pending++; break;
    case SYNC_COMPLETE: s->totals->complete++; break;
    case SYNC_FAILED: s->totals->failed++; break;
    }
    note_exit(s, batch->exit_code);
    if (s->options->on_batch) s->options->on_batch(s->options->callback_ctx, batch);
}

/* The context the collect of this batch uses: the store's record bound to its id (start,
 * bind, the proxy, an earlier sync or collect made it), else, for OpenAI, a token in its
 * metadata that verifies under this store's key (collect records it), else a record made
 * now with collect-only identities (resume_adopt_batch). *token is malloc'd, or NULL when
 * collect finds the context itself. *inputs_kept says whether the store keeps the
 * requests. 1 when the batch was traced completely before (nothing to do), 0, or -1 with
 * reason. */
static int settle_context(syncer *s, const batch_info *info, const char *batch_id,
                          char **token, bool *inputs_kept, char *reason) {
    *token = NULL;
    *inputs_kept = false;
    store_batch record;
    memset(&record, 0, sizeof record);
    int found = store_batch_find(s->store, NULL, batch_id, &record, reason);
    if (found < 0) return -1;
    if (found == 1) {
        int rc = record.task_exported && !record.task_provisional ? 1 : 0;
        if (record.context) *token = xstrdup(record.context);
        *inputs_kept = record.inputs_kept;
        store_batch_free(&record);
        return rc;
    }
    if (info->context_token.len) {
        signing_key key;
        if (resume_signing_key(s->store, &key, reason) != 0) return -1;
        char *metadata_token = xstrndup(info->context_token.ptr, info->context_token.len);
        context_claims claims;
        char why[REASON_MAX];
        int verified = context_token_verify(metadata_token, key.bytes, key.len, &claims, why);
        free(metadata_token);
        if (verified == 0) {
            /* Collect binds it; the start's record (same store) may keep the inputs. */
            char nonce[33];
            hex_encode(claims.nonce, 16, nonce);
            int complete = 0;
            if (store_batch_find(s->store, nonce, NULL, &record, reason) == 1) {
                *inputs_kept = record.inputs_kept;
                complete = record.task_exported && !record.task_provisional ? 1 : 0;
                store_batch_free(&record);
            }
            return complete;
        }
        notice(s, "batch %s: its metadata's context token does not verify under this store's "
               "key (%s): traced in a trace of its own", batch_id, why);
    }
    int64_t count = info->count_total.has ? info->count_total.value : 0;
    return resume_adopt_batch(s->store, s->provider->name, batch_id, info->created_ns,
                              count > 0 ? (uint64_t)count : 0, NULL, s->now_ns, token,
                              reason) == 0
               ? 0
               : -1;
}

/* Open the store (s->store). 0, or -1 with reason. */
static int open_store(syncer *s, char *reason) {
    char detail[REASON_MAX];
    s->store = store_open(s->store_url, true, detail);
    if (!s->store) return fail(reason, "the store cannot be used: %s", detail);
    return 0;
}

/* The file at path (under the base URL), downloading from now on, and source, named name,
 * over the downloaded file (to open once the download is whole). */
static sync_download *add_download(syncer *s, const char *path, const char *name,
                                   batchtrace_source *source) {
    char *url = api_url(s, path, NULL);
    sync_download *download = sync_download_start(&s->api, url, name);
    free(url);
    memset(source, 0, sizeof *source);
    source->kind = BATCHTRACE_SOURCE_PATH;
    source->name = name;
    source->path = sync_download_path(download);
    return download;
}

/* Collect one ended batch: its object, and its files downloaded from the provider. Its
 * files (at most three: the bound on downloads at once) download at the same time, each
 * into an unnamed temporary file; once all are whole, collect reads them in place, as
 * files from disk. */
static void collect_batch(syncer *s, const char *object, size_t object_len,
                          const batch_info *info, const char *batch_id, const char *token,
                          bool inputs_kept) {
    bool openai = strcmp(s->provider->name, "openai") == 0;
    sync_download *downloads[3] = {NULL, NULL, NULL};
    char names[3][256];
    batchtrace_source input, results[2];
    size_t result_count = 0;
    const char *inputs;
    bool has_input = false;
    if (openai) {
        bt_str files[3] = {info->input_file_id, info->output_file_id, info->error_file_id};
        for (size_t i = 0; i < 3; i++) {
            if (!files[i].len || !id_is_plain(files[i])) continue;
            char path[300];
            snprintf(path, sizeof path, "/files/%.*s/content", (int)files[i].len, files[i].ptr);
            snprintf(names[i], sizeof names[i], "%.*s", (int)files[i].len, files[i].ptr);
            if (i == 0) {
                downloads[0] = add_download(s, path, names[0], &input);
                has_input = true;
            } else {
                downloads[i] = add_download(s, path, names[i], &results[result_count++]);
            }
        }
        inputs = has_input ? "the batch's input file"
               : inputs_kept ? "kept in the store by start"
                             : "none (no input file: collect-only)";
    } else {
        char path[300];
        snprintf(path, sizeof path, "%s/%s/results", s->api_desc->batches_path, batch_id);
        snprintf(names[1], sizeof names[1], "%s/results", batch_id);
        downloads[1] = add_download(s, path, names[1], &results[result_count++]);
        inputs = inputs_kept ? "kept in the store by start"
                             : "none: Anthropic does not return the requests and no start "
                               "kept them (collect-only)";
    }
    batchtrace_source batch_source;
    memset(&batch_source, 0, sizeof batch_source);
    batch_source.kind = BATCHTRACE_SOURCE_BUFFER;
    batch_source.name = batch_id;
    batch_source.bytes = object;
    batch_source.len = object_len;

    batchtrace_collect_options options = *s->options->collect;
    options.results_paths = NULL;
    options.results_count = 0;
    options.batch_path = NULL;
    options.input_path = NULL;
    options.provider = s->provider->name;
    options.context = token;
    options.batch_id = NULL;
    options.store = s->store_url;
    options.results_sources = result_count ? results : NULL;
    options.results_source_count = result_count;
    options.batch_source = &batch_source;
    options.input_source = has_input ? &input : NULL;

    batchtrace_summary *summary = NULL;
    char error[REASON_MAX * 2] = "";
    int rc = BATCHTRACE_OK;
    for (size_t i = 0; i < 3 && rc == BATCHTRACE_OK; i++)
        if (downloads[i] && sync_download_wait(downloads[i], error) != 0) rc = BATCHTRACE_EFATAL;
    if (rc == BATCHTRACE_OK) rc = batchtrace_collect(&summary, &options);
    if (rc != BATCHTRACE_OK && !error[0])
        snprintf(error, sizeof error, "%s", batchtrace_last_error());
    int exit_code = summary ? summary->exit_code : BATCHTRACE_EXIT_FATAL;
    if (rc != BATCHTRACE_OK && exit_code == BATCHTRACE_EXIT_OK) exit_code = BATCHTRACE_EXIT_FATAL;
    sync_batch_report batch = {s->provider->name, batch_id, summary ? summary->batch_status : "",
                               SYNC_COLLECTED, inputs, summary, "", exit_code};
    if (rc != BATCHTRACE_OK || exit_code == BATCHTRACE_EXIT_FATAL) {
        batch.action = SYNC_FAILED;
        batch.error = error[0] ? error : "the collection failed";
    }
    if (!batch.batch_status || !batch.batch_status[0]) batch.batch_status = "";
    char status[64];
    snprintf(status, sizeof status, "%.*s", (int)info->status.len, info->status.ptr);
    if (!batch.batch_status[0]) batch.batch_status = status;
    report(s, &batch);
    if (summary && summary->interrupted) s->interrupted = true;
    batchtrace_summary_free(summary);
    for (size_t i = 0; i < 3; i++) sync_download_free(downloads[i]);
}

/* What handle_batch tells the lister. */
typedef enum listed { LISTED_NEXT, LISTED_OLDER } listed;

/* One batch object (object_len bytes) from the list or from GET: record it, and collect
 * it when it ended and is not complete. LISTED_OLDER when it was created before --since
 * (the list is newest first: the rest are older too). -1 with reason when the store
 * fails. */
static int handle_batch(syncer *s, const char *object, size_t object_len, char *reason) {
    json_doc doc = JSON_DOC_INIT;
    arena_t arena = ARENA_INIT;
    batch_info info;
    memset(&info, 0, sizeof info);
    char detail[REASON_MAX];
    char *batch_id = NULL;
    char *token = NULL;
    int rc = LISTED_NEXT;
    if (json_parse(&doc, object, object_len, detail) != 0 ||
        s->provider->parse_batch(&doc, 0, &arena, &info, detail) != 0) {
        notice(s, "skipping a batch object the provider sent: %s", detail);
        goto done;
    }
    if (!id_is_plain(info.id)) {
        notice(s, "skipping a batch whose id is not letters, digits, '_', '-' or '.'");
        goto done;
    }
    batch_id = xstrndup(info.id.ptr, info.id.len);
    if (s->options->since_ns && info.created_ns && info.created_ns < s->options->since_ns) {
        rc = LISTED_OLDER;
        goto done;
    }
    s->totals->listed++;
    bool inputs_kept = false;
    char status[64];
    snprintf(status, sizeof status, "%.*s", (int)info.status.len, info.status.ptr);
    /* The store is open only while sync reads and writes it itself: collect opens its own,
     * and a second SQLite handle in one process loses its locks when the other is opened
     * (store_open's checks close a descriptor of the file: POSIX drops every lock the
     * process holds on it), which lets another process's checkpoint lose our commits. */
    int settled = -1;
    if (open_store(s, detail) == 0) {
        settled = settle_context(s, &info, batch_id, &token, &inputs_kept, detail);
        store_close(s->store);
        s->store = NULL;
    }
    if (settled < 0) {
        rc = fail(reason, "%s", detail);
        goto done;
    }
    if (settled == 1) {
        sync_batch_report batch = {s->provider->name, batch_id, status, SYNC_COMPLETE, "", NULL,
                                   "", BATCHTRACE_EXIT_OK};
        report(s, &batch);
        goto done;
    }
    if (info.state == BATCH_RUNNING || info.state == BATCH_UNKNOWN) {
        sync_batch_report batch = {s->provider->name, batch_id, status, SYNC_PENDING, "", NULL,
                                   "", BATCHTRACE_EXIT_OK};
        report(s, &batch);
        goto done;
    }
    collect_batch(s, object, object_len, &info, batch_id, token, inputs_kept);
done:
    free(token);
    free(batch_id);
    json_doc_free(&doc);
    arena_free(&arena);
    return rc;
}

/* A JSON answer: parsed into doc. -1 with reason when it is not JSON. */
static int parse_answer(const char *what, const buf_t *body, json_doc *doc, char *reason) {
    char detail[REASON_MAX];
    if (json_parse(doc, body->data ? body->data : "", body->len, detail) != 0)
        return fail(reason, "%s is not JSON: %s", what, detail);
    return 0;
}

/* Every batch of the account, page by page (newest first), each handled as it comes. 0, or
 * -1 with reason. */
static int list_batches(syncer *s, char *reason) {
    buf_t body = BUF_INIT;
    json_doc doc = JSON_DOC_INIT;
    arena_t arena = ARENA_INIT;
    char *cursor = NULL;
    int rc = -1;
    for (;;) {
        buf_t query = BUF_INIT;
        buf_printf(&query, "limit=%d", LIST_PAGE_LIMIT);
        if (cursor) buf_printf(&query, "&%s=%s", s->api_desc->cursor_param, cursor);
        char *url = api_url(s, s->api_desc->batches_path, buf_cstr(&query));
        buf_free(&query);
        long status;
        int got = sync_get(&s->api, url, SMALL_ANSWER_MAX, &body, &status, reason);
        free(url);
        if (got != 0) goto done;
        if (parse_answer("the list of batches", &body, &doc, reason) != 0) goto done;
        int data = json_get(&doc, 0, "data");
        if (json_type_of(&doc, data) != JSON_ARRAY) {
            fail(reason, "the list of batches has no \"data\" array");
            goto done;
        }
        bool older = false;
        int count = json_count(&doc, data);
        int item = json_first(&doc, data);
        for (int i = 0; i < count && !older && !s->interrupted; i++, item = json_next(&doc, item)) {
            bt_str raw = json_raw(&doc, item);
            char *object = xstrndup(raw.ptr, raw.len);
            int handled = handle_batch(s, object, raw.len, reason);
            free(object);
            if (handled < 0) goto done;
            older = handled == LISTED_OLDER;
        }
        bool has_more = false;
        json_bool(&doc, json_get(&doc, 0, "has_more"), &has_more);
        bt_str last = STR_NULL;
        int last_id = json_get(&doc, 0, "last_id");
        arena_reset(&arena);
        if (json_type_of(&doc, last_id) == JSON_STRING) json_string(&doc, last_id, &arena, &last);
        if (older || !has_more || s->interrupted) break;
        if (!id_is_plain(last)) {
            fail(reason, "the list of batches says has_more but gives no usable last_id");
            goto done;
        }
        free(cursor);
        cursor = xstrndup(last.ptr, last.len);
        json_doc_free(&doc);
        doc = (json_doc)JSON_DOC_INIT;
    }
    rc = 0;
done:
    free(cursor);
    json_doc_free(&doc);
    arena_free(&arena);
    buf_free(&body);
    return rc;
}

/* The batches named by --batch-id, each read with GET. 0, or -1 with reason when the store
 * fails (a batch that cannot be read is reported and the others go on). */
static int get_batches(syncer *s, char *reason) {
    buf_t body = BUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < s->options->batch_id_count && rc == 0 && !s->interrupted; i++) {
        const char *batch_id = s->options->batch_ids[i];
        char path[300];
        snprintf(path, sizeof path, "%s/%s", s->api_desc->batches_path, batch_id);
        char *url = api_url(s, path, NULL);
        long status;
        char why[REASON_MAX];
        int got = sync_get(&s->api, url, SMALL_ANSWER_MAX, &body, &status, why);
        free(url);
        if (got != 0) {
            s->totals->listed++;
            sync_batch_report batch = {s->provider->name, batch_id, "", SYNC_FAILED, "", NULL,
                                       why, BATCHTRACE_EXIT_FATAL};
            report(s, &batch);
            continue;
        }
        rc = handle_batch(s, body.data ? body.data : "", body.len, reason) < 0 ? -1 : 0;
    }
    buf_free(&body);
    return rc;
}

/* See sync.h. */
int sync_run(const sync_options *options, sync_totals *totals, char *reason) {
    memset(totals, 0, sizeof *totals);
    syncer s;
    memset(&s, 0, sizeof s);
    s.options = options;
    s.totals = totals;
    s.exit_code = BATCHTRACE_EXIT_OK;
    char *auth = NULL;
    int rc = BATCHTRACE_EXIT_FATAL;
    if (options->provider && strcmp(options->provider, "openai") == 0) {
        s.api_desc = &openai_api;
    } else if (options->provider && strcmp(options->provider, "anthropic") == 0) {
        s.api_desc = &anthropic_api;
    } else {
        fail(reason, "--provider must be openai or anthropic");
        return BATCHTRACE_EXIT_USAGE;
    }
    s.provider = provider_by_name(s.api_desc->name);
    for (size_t i = 0; i < options->batch_id_count; i++) {
        if (!id_is_plain(str_c(options->batch_ids[i]))) {
            fail(reason, "--batch-id \"%.100s\" is not a batch id (letters, digits, '_', '-', '.')",
                 options->batch_ids[i]);
            return BATCHTRACE_EXIT_USAGE;
        }
    }
    const char *key = getenv(s.api_desc->key_variable);
    if (!key || !*key) {
        fail(reason, "%s is not set: sync reads the account's batches with it",
             s.api_desc->key_variable);
        return BATCHTRACE_EXIT_USAGE;
    }
    const char *base = getenv(s.api_desc->base_variable);
    s.base = xstrdup(base && *base ? base : s.api_desc->default_base);
    buf_t header = BUF_INIT;
    buf_printf(&header, "%s: %s%s", s.provider == &provider_openai ? "Authorization" : "x-api-key",
               s.provider == &provider_openai ? "Bearer " : "", key);
    auth = buf_detach(&header);
    s.api.auth_header = auth;
    s.api.key = key;
    s.api.version_header = s.provider == &provider_anthropic ? "anthropic-version: 2023-06-01" : NULL;
    s.api.max_attempts = 6;
    s.api.max_wait_ms = 120000;
    s.api.timeout_ms = 60000;
    s.api.on_notice = on_fetch_notice;
    s.api.notice_ctx = &s;

    bool pinned;
    if (collect_time_now(&s.now_ns, &pinned, reason) != 0) {
        rc = BATCHTRACE_EXIT_USAGE;
        goto done;
    }
    char detail[REASON_MAX];
    s.store_url = store_resolve_url(options->collect->store, detail);
    if (!s.store_url) {
        fail(reason, "%s", detail);
        rc = BATCHTRACE_EXIT_USAGE;
        goto done;
    }
    if (open_store(&s, reason) != 0) goto done;
    store_close(s.store); /* opened to fail early; each batch opens it again (handle_batch) */
    s.store = NULL;
    int walked = options->batch_id_count ? get_batches(&s, reason) : list_batches(&s, reason);
    rc = walked == 0 ? s.exit_code : BATCHTRACE_EXIT_FATAL;
    totals->interrupted = s.interrupted;
done:
    store_close(s.store);
    free(s.store_url);
    free(s.base);
    if (auth) {
        memset(auth, 0, strlen(auth));
        free(auth);
    }
    return rc;
}
