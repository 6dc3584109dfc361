/* The taps and the tracer thread (tap.h). What the tracer keeps in memory is only what
 * links one call to the next within this process: an uploaded input file until its batch
 * is created, the last batch object seen of each batch (its status and result file ids),
 * and the result files of an OpenAI batch downloaded so far. Everything that must outlive
 * the process (the batch's identity, context, inputs, what was exported) is in the store,
 * written by batchtrace_start and batchtrace_collect: a proxy restarted between submit and
 * results, or another proxy on the same store, links them through the batch id. */
#define _GNU_SOURCE /* memmem, memrchr, strcasestr */
#include "proxy/tap.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "batch/collect.h"
#include "batch/resume.h"
#include "json/json.h"
#include "providers/provider.h"
#include "proxy/log.h"
#include "span/identity.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/reason.h"

/* The SQLite page cache of the proxy's stores (KiB). */
#define PROXY_SQLITE_CACHE_KIB 2048
/* Pieces a result download is read back in, for collect's callback source. */
#define PIECE_BYTES (1u << 20)
/* Uploads kept waiting for their batch at most (each holds a temporary file), and batches
 * remembered at most: past these the oldest are forgotten (a long-running proxy). */
#define UPLOADS_KEPT 64
#define BATCHES_KEPT 4096

/* An input file uploaded (purpose=batch) and not yet named by a batch. */
typedef struct upload {
    struct upload *next;
    char *file_id;
    source_t body;                /* the multipart request */
    uint64_t offset, len;         /* the file part within it */
    char traceparent[56];         /* the upload's, for a create without one */
} upload;

/* A result file of an OpenAI batch, downloaded through the proxy. */
typedef struct download {
    char *file_id;
    source_t file;                /* the teed bytes */
} download;

/* A batch seen through the proxy. */
typedef struct seen_batch {
    struct seen_batch *next;
    char *provider;
    char *batch_id;
    char *object;                 /* the last batch object the upstream sent (JSON) */
    size_t object_len;
    char *output_file_id;         /* OpenAI; NULL when none */
    char *error_file_id;
    char *status;                 /* the provider's status string */
    batch_state state;
    download downloads[2];        /* OpenAI output, error: file_id NULL until downloaded */
} seen_batch;

struct tracer {
    const batchtrace_collect_options *collect;
    pthread_t thread;
    pthread_mutex_t lock;         /* guards the queue and stopping */
    pthread_cond_t wake;
    struct queued { struct queued *next; tap_exchange *exchange; } *head, *tail;
    bool stopping;
    upload *uploads;              /* the tracer thread's alone from here down */
    seen_batch *batches;
};

/* Whether path is prefix followed by one id segment and then suffix exactly; the id is
 * copied into id (at most id_size - 1 bytes). */
static bool path_id(const char *path, const char *prefix, const char *suffix, char *id,
                    size_t id_size) {
    size_t prefix_len = strlen(prefix);
    if (strncmp(path, prefix, prefix_len) != 0) return false;
    const char *start = path + prefix_len;
    const char *slash = strchr(start, '/');
    size_t len = slash ? (size_t)(slash - start) : strlen(start);
    if (!len || len >= id_size) return false;
    if (strcmp(start + len, suffix) != 0) return false;
    memcpy(id, start, len);
    id[len] = '\0';
    return true;
}

/* See tap.h. */
tap_kind tap_classify(const char *method, const char *path) {
    char id[256];
    bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
    if (post && strcmp(path, "/v1/files") == 0) return TAP_OPENAI_UPLOAD;
    if (post && strcmp(path, "/v1/batches") == 0) return TAP_OPENAI_CREATE;
    if ((get && path_id(path, "/v1/batches/", "", id, sizeof id)) ||
        (post && path_id(path, "/v1/batches/", "/cancel", id, sizeof id)))
        return TAP_OPENAI_BATCH;
    if (get && path_id(path, "/v1/files/", "/content", id, sizeof id)) return TAP_OPENAI_CONTENT;
    if (post && strcmp(path, "/v1/messages/batches") == 0) return TAP_ANTHROPIC_CREATE;
    if (get && path_id(path, "/v1/messages/batches/", "/results", id, sizeof id))
        return TAP_ANTHROPIC_RESULTS;
    if ((get && path_id(path, "/v1/messages/batches/", "", id, sizeof id)) ||
        (post && path_id(path, "/v1/messages/batches/", "/cancel", id, sizeof id)))
        return TAP_ANTHROPIC_BATCH;
    return TAP_NONE;
}

/* See tap.h. */
bool tap_tees_to_file(tap_kind kind) {
    return kind == TAP_OPENAI_CONTENT || kind == TAP_ANTHROPIC_RESULTS;
}

/* See tap.h. */
bool tap_reads_request(tap_kind kind) {
    return kind == TAP_OPENAI_UPLOAD || kind == TAP_OPENAI_CREATE || kind == TAP_ANTHROPIC_CREATE;
}

/* See tap.h. */
void tap_exchange_free(tap_exchange *exchange) {
    if (!exchange) return;
    free(exchange->path);
    free(exchange->content_type);
    source_close(&exchange->request_body);
    buf_free(&exchange->response_json);
    source_close(&exchange->response_file);
    free(exchange);
}

/* A log line about a batch or a path. */
static void note(proxy_level level, const char *event, const char *provider,
                 const char *batch_id, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static void note(proxy_level level, const char *event, const char *provider,
                 const char *batch_id, const char *path, const char *fmt, ...) {
    char text[REASON_MAX * 4];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    proxy_event e = {level, event, provider, batch_id, path};
    proxy_log(&e, "%s", text);
}

/* What the diagnostics of a start or collect are about. */
typedef struct diag_context {
    const char *provider, *batch_id;
} diag_context;

/* batchtrace_diagnostic_fn: each diagnostic of a start or collect, logged. */
static void on_diagnostic(void *ctx, batchtrace_severity severity, const char *file,
                          uint64_t line, const char *reason) {
    const diag_context *d = ctx;
    char where[300] = "";
    if (file && *file && line) snprintf(where, sizeof where, "%s:%llu: ", file, (unsigned long long)line);
    else if (file && *file) snprintf(where, sizeof where, "%s: ", file);
    note(severity == BATCHTRACE_ERROR ? PROXY_ERROR : PROXY_WARNING,
         severity == BATCHTRACE_REJECTED ? "rejected" : "diagnostic", d->provider, d->batch_id,
         NULL, "%s%s", where, reason);
}

/* A string field of the JSON object text, malloc'd, or NULL when absent or not a string. */
static char *json_field(const char *text, size_t len, const char *key) {
    json_doc doc = JSON_DOC_INIT;
    arena_t arena = ARENA_INIT;
    char reason[REASON_MAX];
    char *value = NULL;
    bt_str s;
    if (json_parse(&doc, text, len, reason) == 0 && json_type_of(&doc, 0) == JSON_OBJECT &&
        json_get_string(&doc, 0, key, &arena, &s) == 0 && s.ptr)
        value = xstrndup(s.ptr, s.len);
    json_doc_free(&doc);
    arena_free(&arena);
    return value;
}

/* ---- multipart (RFC 7578): the file part of an upload ------------------------------------ */

/* The boundary parameter of a multipart/form-data Content-Type, into out. 0, or -1. */
static int multipart_boundary(const char *content_type, char *out, size_t size) {
    if (!content_type || strncasecmp(content_type, "multipart/form-data", 19) != 0) return -1;
    const char *b = strcasestr(content_type, "boundary=");
    if (!b) return -1;
    b += 9;
    bool quoted = *b == '"';
    if (quoted) b++;
    size_t len = strcspn(b, quoted ? "\"" : "; \t");
    if (!len || len + 1 > size) return -1;
    memcpy(out, b, len);
    out[len] = '\0';
    return 0;
}

/* See tap.h. */
int tap_multipart_file(const char *content_type, const char *body, size_t body_len,
                       char *purpose, size_t purpose_size, uint64_t *offset, uint64_t *len,
                       char *reason) {
    char boundary[80];
    if (multipart_boundary(content_type, boundary, sizeof boundary) != 0)
        return fail(reason, "not multipart/form-data with a boundary");
    char delimiter[100];
    int delimiter_len = snprintf(delimiter, sizeof delimiter, "--%s", boundary);
    const char *end = body + body_len;
    const char *p = memmem(body, body_len, delimiter, (size_t)delimiter_len);
    bool have_file = false, closed = false;
    purpose[0] = '\0';
    while (p) {
        p += delimiter_len;
        if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
            closed = true;
            break;
        }
        const char *headers_end = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
        if (!headers_end) break;
        const char *content = headers_end + 4;
        char next_delimiter[104];
        int next_len = snprintf(next_delimiter, sizeof next_delimiter, "\r\n%s", delimiter);
        const char *next = memmem(content, (size_t)(end - content), next_delimiter,
                                  (size_t)next_len);
        if (!next) break;
        size_t header_len = (size_t)(headers_end - p);
        const char *name = memmem(p, header_len, "name=\"", 6);
        if (name) {
            name += 6;
            if (strncmp(name, "purpose\"", 8) == 0) {
                size_t value_len = (size_t)(next - content);
                if (value_len >= purpose_size) value_len = purpose_size - 1;
                memcpy(purpose, content, value_len);
                purpose[value_len] = '\0';
            } else if (strncmp(name, "file\"", 5) == 0) {
                *offset = (uint64_t)(content - body);
                *len = (uint64_t)(next - content);
                have_file = true;
            }
        }
        p = next + 2;
    }
    if (!closed) return fail(reason, "the multipart body is cut short (no closing boundary)");
    if (!have_file) return fail(reason, "the multipart body has no \"file\" part");
    return 0;
}

/* ---- the tracer's memory: uploads and batches ------------------------------------------- */

/* Forget an upload. */
static void upload_free(upload *u) {
    if (!u) return;
    free(u->file_id);
    source_close(&u->body);
    free(u);
}

/* Take the upload of file_id off the list (NULL when there is none). */
static upload *take_upload(tracer *t, const char *file_id) {
    for (upload **link = &t->uploads; *link; link = &(*link)->next) {
        if (strcmp((*link)->file_id, file_id) == 0) {
            upload *u = *link;
            *link = u->next;
            u->next = NULL;
            return u;
        }
    }
    return NULL;
}

/* Forget the oldest entries of a list (newest first) past keep: each is freed by drop. */
#define TRIM_LIST(type, head, keep, drop)                                                    \
    do {                                                                                     \
        size_t kept = 0;                                                                     \
        for (type **link = &(head); *link;) {                                                \
            if (++kept <= (keep)) {                                                          \
                link = &(*link)->next;                                                       \
                continue;                                                                    \
            }                                                                                \
            type *gone = *link;                                                              \
            *link = gone->next;                                                              \
            drop(gone);                                                                      \
        }                                                                                    \
    } while (0)

/* Free what a seen batch holds. */
static void seen_free(seen_batch *b) {
    if (!b) return;
    free(b->provider);
    free(b->batch_id);
    free(b->object);
    free(b->output_file_id);
    free(b->error_file_id);
    free(b->status);
    for (size_t i = 0; i < 2; i++) {
        free(b->downloads[i].file_id);
        source_close(&b->downloads[i].file);
    }
    free(b);
}

/* The batch of provider with this id, or NULL. */
static seen_batch *find_batch(tracer *t, const char *provider, const char *batch_id) {
    for (seen_batch *b = t->batches; b; b = b->next)
        if (strcmp(b->provider, provider) == 0 && strcmp(b->batch_id, batch_id) == 0) return b;
    return NULL;
}

/* The OpenAI batch one of whose result files is file_id (*slot: 0 output, 1 error), or
 * NULL. */
static seen_batch *batch_of_file(tracer *t, const char *file_id, size_t *slot) {
    for (seen_batch *b = t->batches; b; b = b->next) {
        if (b->output_file_id && strcmp(b->output_file_id, file_id) == 0) *slot = 0;
        else if (b->error_file_id && strcmp(b->error_file_id, file_id) == 0) *slot = 1;
        else continue;
        return b;
    }
    return NULL;
}

/* Keep object (a batch object of provider) as the batch's latest. The batch, or NULL with
 * reason when object is not one. */
static seen_batch *remember_batch(tracer *t, const char *provider, const char *object,
                                  size_t object_len, char *reason) {
    json_doc doc = JSON_DOC_INIT;
    arena_t arena = ARENA_INIT;
    batch_info info;
    memset(&info, 0, sizeof info);
    seen_batch *b = NULL;
    const provider_ops *ops = provider_by_name(provider);
    if (json_parse(&doc, object, object_len, reason) != 0 ||
        ops->parse_batch(&doc, 0, &arena, &info, reason) != 0)
        goto done;
    if (!info.id.len) {
        fail(reason, "the batch object has no id");
        goto done;
    }
    char *id = xstrndup(info.id.ptr, info.id.len);
    b = find_batch(t, provider, id);
    if (!b) {
        b = xcalloc(1, sizeof *b);
        b->provider = xstrdup(provider);
        b->batch_id = id;
        for (size_t i = 0; i < 2; i++) b->downloads[i].file.fd = -1;
        b->next = t->batches;
        t->batches = b;
        TRIM_LIST(seen_batch, t->batches, BATCHES_KEPT, seen_free);
    } else {
        free(id);
    }
    free(b->object);
    b->object = xstrndup(object, object_len);
    b->object_len = object_len;
    free(b->status);
    b->status = xstrndup(info.status.ptr ? info.status.ptr : "", info.status.len);
    b->state = info.state;
    if (info.output_file_id.len && !b->output_file_id)
        b->output_file_id = xstrndup(info.output_file_id.ptr, info.output_file_id.len);
    if (info.error_file_id.len && !b->error_file_id)
        b->error_file_id = xstrndup(info.error_file_id.ptr, info.error_file_id.len);
done:
    json_doc_free(&doc);
    arena_free(&arena);
    return b;
}

/* ---- start and collect -------------------------------------------------------------------- */

/* A callback source over a teed download: its bytes in pieces of whole lines. */
typedef struct piece_reader {
    const source_t *file;
    uint64_t offset;              /* read so far */
    buf_t piece;                  /* the lines handed out last */
    buf_t rest;                   /* bytes after the last newline read */
    char reason[REASON_MAX];
} piece_reader;

/* batchtrace_read_fn over a piece_reader. */
static int read_piece(void *ctx, const char **bytes, size_t *len) {
    piece_reader *r = ctx;
    buf_clear(&r->piece);
    buf_append(&r->piece, r->rest.data ? r->rest.data : "", r->rest.len);
    buf_clear(&r->rest);
    size_t want = PIECE_BYTES;
    for (;;) {
        if (r->piece.len + want + 1 > r->piece.cap) buf_grow(&r->piece, want);
        ssize_t got = source_read_at(r->file, r->piece.data + r->piece.len, want, r->offset,
                                     r->reason);
        if (got < 0) return -1;
        r->offset += (uint64_t)got;
        r->piece.len += (size_t)got;
        r->piece.data[r->piece.len] = '\0';
        if (got == 0) break; /* the end: the last line may lack its newline */
        const char *last = memrchr(r->piece.data, '\n', r->piece.len);
        if (last) {
            size_t keep = (size_t)(last + 1 - r->piece.data);
            buf_append(&r->rest, last + 1, r->piece.len - keep);
            r->piece.len = keep;
            break;
        }
        want *= 2; /* a line longer than the piece: read on (collect bounds lines) */
    }
    if (!r->piece.len) return 0;
    *bytes = r->piece.data;
    *len = r->piece.len;
    return 1;
}

/* The store's record of the batch bound to batch_id: whether it exists, and whether it was
 * traced completely before (*complete). When there is none, one is made with collect-only
 * identities (as sync does), so that the store's claims keep every item to one export
 * whoever collects. 0, or -1 with reason. */
static int settle_record(const tracer *t, const char *provider, const char *batch_id,
                         bool *complete, char *reason) {
    *complete = false;
    char detail[REASON_MAX];
    char *url = store_resolve_url(t->collect->store, detail);
    if (!url) return fail(reason, "%s", detail);
    store_t *store = store_open(url, true, detail);
    free(url);
    if (!store) return fail(reason, "the store cannot be used: %s", detail);
    store_batch record;
    memset(&record, 0, sizeof record);
    int rc = -1;
    int found = store_batch_find(store, NULL, batch_id, &record, reason);
    if (found == 1) {
        *complete = record.task_exported && !record.task_provisional;
        store_batch_free(&record);
        rc = 0;
    } else if (found == 0) {
        int64_t now_ns;
        bool pinned;
        char *token = NULL;
        if (collect_time_now(&now_ns, &pinned, reason) == 0 &&
            resume_adopt_batch(store, provider, batch_id, 0, 0, NULL, now_ns, &token, reason) == 0)
            rc = 0;
        free(token);
    }
    store_close(store);
    return rc;
}

/* Collect the batch b with results (count of them) and its last batch object. */
static void collect_batch(tracer *t, seen_batch *b, const char *provider, const char *batch_id,
                          const source_t *const *results, size_t count) {
    char reason[REASON_MAX];
    bool complete;
    if (settle_record(t, provider, batch_id, &complete, reason) != 0) {
        note(PROXY_ERROR, "collect", provider, batch_id, NULL,
             "%s batch %s: not collected: %s", provider, batch_id, reason);
        return;
    }
    if (complete) {
        note(PROXY_INFO, "collect", provider, batch_id, NULL,
             "%s batch %s: traced before (by this proxy, sync, a binding or collect): nothing "
             "to send", provider, batch_id);
        return;
    }
    piece_reader readers[2];
    batchtrace_source sources[2];
    memset(readers, 0, sizeof readers);
    memset(sources, 0, sizeof sources);
    for (size_t i = 0; i < count; i++) {
        readers[i].file = results[i];
        sources[i].kind = BATCHTRACE_SOURCE_CALLBACK;
        sources[i].name = results[i]->name;
        sources[i].read = read_piece;
        sources[i].read_ctx = &readers[i];
    }
    batchtrace_source batch_source;
    memset(&batch_source, 0, sizeof batch_source);
    batch_source.kind = BATCHTRACE_SOURCE_BUFFER;
    batch_source.name = batch_id;
    diag_context diag = {provider, batch_id};
    batchtrace_collect_options options = *t->collect;
    options.provider = provider;
    options.batch_id = batch_id;
    options.results_sources = count ? sources : NULL;
    options.results_source_count = count;
    if (b && b->object) {
        batch_source.bytes = b->object;
        batch_source.len = b->object_len;
        options.batch_source = &batch_source;
    }
    options.on_diagnostic = on_diagnostic;
    options.on_progress = NULL;
    options.callback_ctx = &diag;
    batchtrace_summary *summary = NULL;
    int rc = batchtrace_collect(&summary, &options);
    if (rc != BATCHTRACE_OK || !summary) {
        note(PROXY_ERROR, "collect", provider, batch_id, NULL, "%s batch %s: collect failed: %s",
             provider, batch_id, batchtrace_last_error());
    } else {
        note(summary->exit_code == 0 || summary->exit_code == BATCHTRACE_EXIT_INCOMPLETE
                 ? PROXY_INFO : PROXY_WARNING,
             "collect", provider, batch_id, NULL,
             "%s batch %s collected (%s): %llu items (%llu succeeded, %llu errored), %llu spans "
             "exported, %llu sent before, %llu spooled; trace %s; exit %d",
             provider, batch_id, summary->batch_status[0] ? summary->batch_status : "status unknown",
             (unsigned long long)summary->items.total, (unsigned long long)summary->items.succeeded,
             (unsigned long long)summary->items.errored,
             (unsigned long long)summary->spans_exported,
             (unsigned long long)summary->items_skipped,
             (unsigned long long)summary->spans_spooled, summary->trace_id, summary->exit_code);
    }
    batchtrace_summary_free(summary);
    for (size_t i = 0; i < count; i++) {
        buf_free(&readers[i].piece);
        buf_free(&readers[i].rest);
    }
}

/* Start a batch whose requests are len bytes at bytes (borrowed), already bound to
 * batch_id, under traceparent (or a trace of its own). */
static void start_batch(tracer *t, const char *provider, const char *batch_id,
                        const char *traceparent, const void *bytes, size_t len,
                        const char *name) {
    batchtrace_source input;
    memset(&input, 0, sizeof input);
    input.kind = BATCHTRACE_SOURCE_BUFFER;
    input.name = name;
    input.bytes = bytes;
    input.len = len;
    diag_context diag = {provider, batch_id};
    const batchtrace_collect_options *c = t->collect;
    batchtrace_start_options options = BATCHTRACE_START_OPTIONS_INIT;
    options.provider = provider;
    options.parent = traceparent && *traceparent ? traceparent : NULL;
    options.batch_id = batch_id;
    options.store = c->store;
    options.exporter = c->exporter;
    options.output_path = c->output_path;
    options.endpoint = c->endpoint;
    options.protocol = c->protocol;
    options.max_request_bytes = c->max_request_bytes;
    options.max_in_flight = c->max_in_flight;
    options.export_timeout = c->export_timeout;
    options.braintrust_parent = c->braintrust_parent;
    options.max_line_bytes = c->max_line_bytes;
    options.on_diagnostic = on_diagnostic;
    options.callback_ctx = &diag;
    options.input_source = &input;
    options.conventions = c->conventions;
    options.convention_count = c->convention_count;
    options.max_attribute_bytes = c->max_attribute_bytes;
    /* A traceparent that does not parse is ignored (the batch gets a trace of its own);
     * the proxy's own $TRACEPARENT is cleared by the command. */
    trace_parent parsed;
    if (options.parent && !identity_parse_traceparent(options.parent, &parsed)) {
        note(PROXY_WARNING, "submit", provider, batch_id, NULL,
             "%s batch %s: the traceparent header is not W3C: a new trace", provider, batch_id);
        options.parent = NULL;
    }
    batchtrace_start_summary *summary = NULL;
    int rc = batchtrace_start(&summary, &options);
    if (rc != BATCHTRACE_OK || !summary) {
        note(PROXY_ERROR, "submit", provider, batch_id, NULL, "%s batch %s: start failed: %s",
             provider, batch_id, batchtrace_last_error());
    } else {
        note(summary->exit_code == 0 ? PROXY_INFO : PROXY_WARNING, "submit", provider, batch_id,
             NULL, "%s batch %s submitted: %llu requests, trace %s%s, submit span %s; exit %d",
             provider, batch_id, (unsigned long long)summary->request_count, summary->trace_id,
             options.parent ? " (the caller's traceparent)" : " (a new trace)",
             summary->spans_exported ? "exported" : summary->spans_spooled ? "spooled" : "not sent",
             summary->exit_code);
    }
    batchtrace_start_summary_free(summary);
}

/* ---- one handler per tap ------------------------------------------------------------------ */

/* The batch object an answer holds, remembered (remember_batch); NULL, logged with the
 * path and reason, when it is not one (the exchange was forwarded all the same). */
static seen_batch *answer_batch(tracer *t, const char *provider, const tap_exchange *x) {
    char reason[REASON_MAX];
    seen_batch *b = remember_batch(t, provider, x->response_json.data ? x->response_json.data : "",
                                   x->response_json.len, reason);
    if (!b)
        note(PROXY_WARNING, "untraced", provider, NULL, x->path,
             "%s: cannot read the batch object: %s; forwarded, not traced", x->path, reason);
    return b;
}


/* POST /v1/files: keep a purpose=batch upload until its batch is created. */
static void on_openai_upload(tracer *t, tap_exchange *x) {
    char purpose[32], reason[REASON_MAX];
    uint64_t offset = 0, len = 0;
    char *file_id = NULL;
    const char *body = source_map(&x->request_body);
    if (!body || tap_multipart_file(x->content_type, body, x->request_body.size, purpose,
                                    sizeof purpose, &offset, &len, reason) != 0) {
        note(PROXY_WARNING, "untraced", "openai", NULL, x->path,
             "%s: cannot read the upload: %s; forwarded, not traced", x->path,
             body ? reason : "an empty body");
        goto done;
    }
    if (strcmp(purpose, "batch") != 0) goto done;
    file_id = json_field(x->response_json.data, x->response_json.len, "id");
    if (!file_id) {
        note(PROXY_WARNING, "untraced", "openai", NULL, x->path,
             "%s: the upstream's file object has no id; forwarded, not traced", x->path);
        goto done;
    }
    upload *u = xcalloc(1, sizeof *u);
    u->file_id = file_id;
    file_id = NULL;
    u->body = x->request_body;
    memset(&x->request_body, 0, sizeof x->request_body);
    x->request_body.fd = -1;
    u->offset = offset;
    u->len = len;
    snprintf(u->traceparent, sizeof u->traceparent, "%s", x->traceparent);
    note(PROXY_INFO, "upload", "openai", NULL, x->path,
         "openai batch input %s uploaded: %llu bytes kept until its batch is created",
         u->file_id, (unsigned long long)len);
    u->next = t->uploads;
    t->uploads = u;
    TRIM_LIST(upload, t->uploads, UPLOADS_KEPT, upload_free);
done:
    if (body) source_unmap(&x->request_body, body);
    free(file_id);
}

/* POST /v1/batches: start the batch from its uploaded input. */
static void on_openai_create(tracer *t, tap_exchange *x) {
    seen_batch *b = answer_batch(t, "openai", x);
    if (!b) return;
    const char *request = NULL;
    if (x->request_body.fd >= 0) request = source_map(&x->request_body);
    char *file_id = request ? json_field(request, x->request_body.size, "input_file_id") : NULL;
    if (request) source_unmap(&x->request_body, request);
    upload *u = file_id ? take_upload(t, file_id) : NULL;
    if (!u) {
        note(PROXY_WARNING, "submit", "openai", b->batch_id, x->path,
             "openai batch %s created; its input file %s did not pass through this proxy "
             "(or it restarted since): traced without its requests when its results pass",
             b->batch_id, file_id ? file_id : "(none named)");
        free(file_id);
        return;
    }
    const char *bytes = u->len ? source_map(&u->body) : NULL;
    const char *traceparent = x->traceparent[0] ? x->traceparent : u->traceparent;
    start_batch(t, "openai", b->batch_id, traceparent, bytes ? bytes + u->offset : "",
                bytes ? (size_t)u->len : 0, file_id);
    if (bytes) source_unmap(&u->body, bytes);
    upload_free(u);
    free(file_id);
}

/* The files of an OpenAI batch that ended: collect what was downloaded of them (a failed
 * batch, which has none, at once). */
static void collect_openai(tracer *t, seen_batch *b) {
    const source_t *results[2];
    size_t count = 0;
    for (size_t i = 0; i < 2; i++)
        if (b->downloads[i].file_id) results[count++] = &b->downloads[i].file;
    collect_batch(t, b, "openai", b->batch_id, results, count);
    bool all = (!b->output_file_id || b->downloads[0].file_id) &&
               (!b->error_file_id || b->downloads[1].file_id);
    if (all) { /* the set is complete: a later download is collected alone */
        for (size_t i = 0; i < 2; i++) {
            free(b->downloads[i].file_id);
            b->downloads[i].file_id = NULL;
            source_close(&b->downloads[i].file);
        }
    }
}

/* GET /v1/batches/{id}: note its status and files; a batch that ended without any file
 * (failed) is collected now. */
static void on_openai_batch(tracer *t, tap_exchange *x) {
    seen_batch *b = answer_batch(t, "openai", x);
    if (!b) return;
    note(PROXY_INFO, "status", "openai", b->batch_id, x->path, "openai batch %s: %s",
         b->batch_id, b->status);
    bool ended = b->state != BATCH_RUNNING && b->state != BATCH_UNKNOWN;
    if (ended && !b->output_file_id && !b->error_file_id) collect_openai(t, b);
}

/* GET /v1/files/{id}/content: a result file of a batch seen here is collected. */
static void on_openai_content(tracer *t, tap_exchange *x) {
    char file_id[256];
    if (!path_id(x->path, "/v1/files/", "/content", file_id, sizeof file_id)) return;
    size_t slot;
    seen_batch *b = batch_of_file(t, file_id, &slot);
    if (!b) return; /* not a result file of a batch seen here (an input file, another file) */
    download *d = &b->downloads[slot];
    free(d->file_id);
    source_close(&d->file);
    d->file_id = xstrdup(file_id);
    d->file = x->response_file;
    memset(&x->response_file, 0, sizeof x->response_file);
    x->response_file.fd = -1;
    collect_openai(t, b);
}

/* POST /v1/messages/batches: start the batch from its create body. */
static void on_anthropic_create(tracer *t, tap_exchange *x) {
    seen_batch *b = answer_batch(t, "anthropic", x);
    if (!b) return;
    const char *request = x->request_body.fd >= 0 ? source_map(&x->request_body) : NULL;
    if (!request) {
        note(PROXY_WARNING, "untraced", "anthropic", b->batch_id, x->path,
             "%s: the create call had no body; not traced", x->path);
        return;
    }
    start_batch(t, "anthropic", b->batch_id, x->traceparent, request, x->request_body.size,
                "<requests>");
    source_unmap(&x->request_body, request);
}

/* GET /v1/messages/batches/{id}: note its status. */
static void on_anthropic_batch(tracer *t, tap_exchange *x) {
    seen_batch *b = answer_batch(t, "anthropic", x);
    if (!b) return;
    note(PROXY_INFO, "status", "anthropic", b->batch_id, x->path, "anthropic batch %s: %s",
         b->batch_id, b->status);
}

/* GET /v1/messages/batches/{id}/results: collect. */
static void on_anthropic_results(tracer *t, tap_exchange *x) {
    char batch_id[256];
    if (!path_id(x->path, "/v1/messages/batches/", "/results", batch_id, sizeof batch_id)) return;
    seen_batch *b = find_batch(t, "anthropic", batch_id);
    const source_t *results[1] = {&x->response_file};
    collect_batch(t, b, "anthropic", batch_id, results, 1);
}

/* Work through one finished exchange. */
static void handle(tracer *t, tap_exchange *x) {
    switch (x->kind) {
    case TAP_OPENAI_UPLOAD: on_openai_upload(t, x); break;
    case TAP_OPENAI_CREATE: on_openai_create(t, x); break;
    case TAP_OPENAI_BATCH: on_openai_batch(t, x); break;
    case TAP_OPENAI_CONTENT: on_openai_content(t, x); break;
    case TAP_ANTHROPIC_CREATE: on_anthropic_create(t, x); break;
    case TAP_ANTHROPIC_BATCH: on_anthropic_batch(t, x); break;
    case TAP_ANTHROPIC_RESULTS: on_anthropic_results(t, x); break;
    case TAP_NONE: break;
    }
}

/* The tracer thread: take exchanges in order until told to stop and the queue is empty. */
static void *tracer_main(void *arg) {
    tracer *t = arg;
    for (;;) {
        pthread_mutex_lock(&t->lock);
        while (!t->head && !t->stopping) pthread_cond_wait(&t->wake, &t->lock);
        struct queued *q = t->head;
        if (q) {
            t->head = q->next;
            if (!t->head) t->tail = NULL;
        }
        pthread_mutex_unlock(&t->lock);
        if (!q) break;
        handle(t, q->exchange);
        tap_exchange_free(q->exchange);
        free(q);
    }
    return NULL;
}

/* See tap.h. */
tracer *tracer_start(const batchtrace_collect_options *collect, char *reason) {
    /* The collect after a results download is the proxy's peak memory: a small SQLite page
     * cache (its item marks are appended rows, which need little) keeps it under issue 16's
     * 64 MB with the item marks of a 300,000-item download in memory. */
    store_set_sqlite_cache_kib(PROXY_SQLITE_CACHE_KIB);
    tracer *t = xcalloc(1, sizeof *t);
    t->collect = collect;
    pthread_mutex_init(&t->lock, NULL);
    pthread_cond_init(&t->wake, NULL);
    if (pthread_create(&t->thread, NULL, tracer_main, t) != 0) {
        fail(reason, "cannot start the tracer thread");
        pthread_cond_destroy(&t->wake);
        pthread_mutex_destroy(&t->lock);
        free(t);
        return NULL;
    }
    return t;
}

/* See tap.h. */
void tracer_submit(tracer *t, tap_exchange *exchange) {
    struct queued *q = xcalloc(1, sizeof *q);
    q->exchange = exchange;
    pthread_mutex_lock(&t->lock);
    if (t->tail) t->tail->next = q;
    else t->head = q;
    t->tail = q;
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
}

/* See tap.h. */
void tracer_finish(tracer *t) {
    if (!t) return;
    pthread_mutex_lock(&t->lock);
    t->stopping = true;
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
    while (t->uploads) {
        upload *u = t->uploads;
        t->uploads = u->next;
        upload_free(u);
    }
    while (t->batches) {
        seen_batch *b = t->batches;
        t->batches = b->next;
        seen_free(b);
    }
    pthread_cond_destroy(&t->wake);
    pthread_mutex_destroy(&t->lock);
    free(t);
}
