/* The public API of the lifecycle (include/batchtrace.h): batchtrace_start, batchtrace_bind
 * and batchtrace_status, their summaries and JSON. The work is start.c and resume.c; this
 * file turns options into their configuration and outcomes into summaries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch/api.h"
#include "batch/collect.h"
#include "batch/resume.h"
#include "batch/start.h"
#include "batchtrace.h"
#include "json/writer.h"
#include "span/limit.h"
#include "span/resource.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/timeutil.h"

enum { BATCH_ID_MAX = 256 }; /* provider batch ids are a few dozen characters */

/* The start summary handed to callers, with the storage its pointers borrow from. */
typedef struct start_owner {
    batchtrace_start_summary public;   /* first: callers hold a pointer to this */
    start_outcome outcome;             /* owns the strings */
    diag_sink diags;                   /* owns the kept diagnostics */
    batchtrace_diagnostic *rejected;   /* views of diags.rejected */
    batchtrace_diagnostic *warnings;   /* views of diags.warnings */
} start_owner;

/* A batch id as given: 1 to BATCH_ID_MAX bytes. -1 with reason. */
static int check_batch_id(const char *batch_id, char *reason) {
    size_t len = strlen(batch_id);
    if (len == 0 || len > BATCH_ID_MAX)
        return fail(reason, "--batch-id must be 1 to %d characters long", BATCH_ID_MAX);
    return 0;
}

/* Turn the public options into a start configuration (the export request and resource are
 * filled by the caller). -1 with reason on a usage error. */
static int configure_start(const batchtrace_start_options *options, start_config *config,
                           char *reason) {
    if (!options || options->version != BATCHTRACE_START_OPTIONS_VERSION)
        return fail(reason, "options version mismatch: initialize with "
                            "BATCHTRACE_START_OPTIONS_INIT");
    if (options->input_path && options->input_source)
        return fail(reason, "give either input_path or input_source, not both");
    if (options->input_source) {
        config->input = *options->input_source;
    } else {
        if (!options->input_path)
            return fail(reason, "start needs the batch's requests: --input FILE");
        config->input = (batchtrace_source){.kind = BATCHTRACE_SOURCE_PATH,
                                            .path = options->input_path};
    }
    if (options->provider) {
        config->provider = provider_by_name(options->provider);
        if (!config->provider)
            return fail(reason, "unknown provider \"%s\" (use one of %s)", options->provider,
                        provider_names());
    }
    const char *parent = options->parent;
    if (!parent) {
        const char *ambient = getenv("TRACEPARENT");
        if (ambient && *ambient) parent = ambient;
    }
    if (parent) {
        if (!identity_parse_traceparent(parent, &config->parent))
            return fail(reason, "%s is not a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>): "
                                "\"%.60s\"", options->parent ? "--parent" : "TRACEPARENT",
                        parent);
        config->has_parent = true;
    }
    if (options->batch_id && check_batch_id(options->batch_id, reason) != 0) return -1;
    config->batch_id = options->batch_id;
    config->keep_inputs = !options->no_keep_inputs;
    config->store_url = options->store;
    config->max_line = options->max_line_bytes;
    if (options->max_attribute_bytes && options->max_attribute_bytes < SPAN_LIMIT_MIN_BYTES)
        return fail(reason, "--max-attribute-bytes must be at least %d, not %zu",
                    SPAN_LIMIT_MIN_BYTES, options->max_attribute_bytes);
    config->max_attribute_bytes = options->max_attribute_bytes;
    return collect_time_now(&config->start_ns, &config->time_pinned, reason);
}

/* The conventions of the submit span: the named ones, and braintrust with the Braintrust
 * preset (as collect does). On success *out is a malloc'd array the caller frees; -1 with
 * reason for an unknown name. */
static int start_conventions(const batchtrace_start_options *options,
                             const export_request *request, const convention ***out,
                             size_t *count, char *reason) {
    size_t named = options->conventions ? options->convention_count : 0;
    const char **names = xcalloc(named + 1, sizeof *names);
    for (size_t i = 0; i < named; i++) names[i] = options->conventions[i];
    if (export_braintrust_preset(request)) names[named++] = "braintrust";
    int rc = convention_list_build(names, named, out, count, reason);
    free(names);
    return rc;
}

/* export_notice_fn: the otlp exporter's notices become warnings, or errors when spans are
 * lost (ctx is the diag_sink). */
static void start_notice(void *ctx, batchtrace_severity severity, const char *message) {
    diag_report(ctx, severity, "", 0, "%s", message);
}

/* Fill the public start summary from the outcome and the diagnostics. */
static void publish_start(start_owner *owner) {
    batchtrace_start_summary *s = &owner->public;
    start_outcome *o = &owner->outcome;
    s->exit_code = o->exit_code;
    s->context = o->context ? o->context : "";
    s->provider = o->provider ? o->provider : "";
    s->batch_id = o->batch_id ? o->batch_id : "";
    memcpy(s->trace_id, o->trace_id, sizeof s->trace_id);
    memcpy(s->submit_span_id, o->submit_span_id, sizeof s->submit_span_id);
    memcpy(s->task_span_id, o->task_span_id, sizeof s->task_span_id);
    memcpy(s->traceparent, o->traceparent, sizeof s->traceparent);
    memcpy(s->input_digest, o->input_digest, sizeof s->input_digest);
    s->request_count = o->request_count;
    s->inputs_kept = o->inputs_kept;
    s->spans_exported = o->spans_exported;
    s->spans_spooled = o->spans_spooled;
    s->destination = o->destination ? o->destination : "";
    s->store = o->store ? o->store : "";
    owner->rejected = api_diagnostic_views(&owner->diags.rejected);
    owner->warnings = api_diagnostic_views(&owner->diags.warnings);
    s->rejected = owner->rejected;
    s->rejected_kept = owner->diags.rejected.kept;
    s->rejected_count = owner->diags.rejected.total;
    s->warnings = owner->warnings;
    s->warnings_kept = owner->diags.warnings.kept;
    s->warnings_count = owner->diags.warnings.total;
}

/* See batchtrace.h. */
int batchtrace_start(batchtrace_start_summary **out, const batchtrace_start_options *options) {
    start_owner *owner = xcalloc(1, sizeof *owner);
    *out = &owner->public;
    owner->outcome.exit_code = BATCHTRACE_EXIT_FATAL;
    owner->diags.callback = options ? options->on_diagnostic : NULL;
    owner->diags.callback_ctx = options ? options->callback_ctx : NULL;
    char reason[REASON_MAX];
    start_config config;
    memset(&config, 0, sizeof config);
    span_resource resource;
    memset(&resource, 0, sizeof resource);
    const convention **conventions = NULL; /* linkage, genai, then the named ones; owned */
    int rc;
    if (configure_start(options, &config, reason) != 0) {
        owner->outcome.exit_code = BATCHTRACE_EXIT_USAGE;
        rc = api_set_error(BATCHTRACE_EUSAGE, reason);
        goto done;
    }
    if (resource_from_env(&resource, reason) > 0) diag_warn(&owner->diags, "", 0, "%s", reason);
    export_request request = {options->exporter, options->output_path, options->endpoint,
                              options->protocol, options->store, options->max_request_bytes,
                              options->max_in_flight, options->export_timeout,
                              options->braintrust_parent, start_notice, &owner->diags, false,
                              false, NULL, 0};
    export_input_file input = {"the input file", "--input",
                               config.input.kind == BATCHTRACE_SOURCE_PATH ? config.input.path
                                                                           : NULL};
    request.inputs = &input;
    request.input_count = 1;
    request.truncate_output = options->truncate_output != 0;
    config.export_request = &request;
    config.resource = &resource;
    config.diags = &owner->diags;
    if (start_conventions(options, &request, &conventions, &config.convention_count,
                          reason) != 0) {
        owner->outcome.exit_code = BATCHTRACE_EXIT_USAGE;
        rc = api_set_error(BATCHTRACE_EUSAGE, reason);
        goto done;
    }
    config.conventions = conventions;
    int usage_error = 0;
    if (start_run(&config, &owner->outcome, &usage_error, reason) != 0) {
        owner->outcome.exit_code = usage_error ? BATCHTRACE_EXIT_USAGE : BATCHTRACE_EXIT_FATAL;
        rc = api_set_error(usage_error ? BATCHTRACE_EUSAGE : BATCHTRACE_EFATAL, reason);
        goto done;
    }
    rc = BATCHTRACE_OK;
done:
    free(conventions);
    resource_free(&resource);
    publish_start(owner);
    return rc;
}

/* Write key: text, or null when text is empty. */
static void write_text_or_null(jw_t *w, const char *key, const char *text) {
    jw_key(w, key);
    if (*text) jw_cstring(w, text);
    else jw_null(w);
}

/* See batchtrace.h. */
char *batchtrace_start_summary_json(const batchtrace_start_summary *s) {
    buf_t out = BUF_INIT;
    jw_t w;
    jw_init(&w, &out);
    jw_object_open(&w);
    write_text_or_null(&w, "context", s->context);
    jw_key(&w, "metadata");
    if (*s->context) {
        jw_object_open(&w);
        jw_key(&w, "batchtrace_ctx");
        jw_cstring(&w, s->context);
        jw_object_close(&w);
    } else {
        jw_null(&w);
    }
    write_text_or_null(&w, "trace_id", s->context[0] ? s->trace_id : "");
    write_text_or_null(&w, "traceparent", s->context[0] ? s->traceparent : "");
    jw_key(&w, "provider");
    jw_cstring(&w, s->provider);
    jw_key(&w, "batch_id");
    jw_cstring(&w, s->batch_id);
    jw_key(&w, "request_count");
    jw_uint(&w, s->request_count);
    jw_key(&w, "custom_id_digest");
    jw_cstring(&w, s->input_digest);
    jw_key(&w, "submit_span_id");
    jw_cstring(&w, s->context[0] ? s->submit_span_id : "");
    jw_key(&w, "task_span_id");
    jw_cstring(&w, s->context[0] ? s->task_span_id : "");
    jw_key(&w, "inputs_kept");
    jw_bool(&w, s->inputs_kept != 0);
    jw_key(&w, "spans_exported");
    jw_uint(&w, s->spans_exported);
    jw_key(&w, "rejected");
    api_write_diagnostics(&w, s->rejected, s->rejected_kept);
    jw_key(&w, "rejected_count");
    jw_uint(&w, s->rejected_count);
    jw_key(&w, "warnings");
    api_write_diagnostics(&w, s->warnings, s->warnings_kept);
    jw_key(&w, "warnings_count");
    jw_uint(&w, s->warnings_count);
    jw_key(&w, "destination");
    jw_cstring(&w, s->destination);
    if (s->spans_spooled) {
        jw_key(&w, "spans_spooled");
        jw_uint(&w, s->spans_spooled);
        jw_key(&w, "store");
        jw_cstring(&w, s->store);
    }
    jw_key(&w, "exit_code");
    jw_int(&w, s->exit_code);
    jw_object_close(&w);
    return buf_detach(&out);
}

/* See batchtrace.h. */
void batchtrace_start_summary_free(batchtrace_start_summary *summary) {
    if (!summary) return;
    start_owner *owner = (start_owner *)summary;
    start_outcome_free(&owner->outcome);
    diag_sink_free(&owner->diags);
    free(owner->rejected);
    free(owner->warnings);
    free(owner);
}

/* Open (creating it) the store named by url (or the default). NULL with *code and reason
 * on failure. */
static store_t *open_store(const char *url, int *code, char *reason) {
    char *resolved = store_resolve_url(url, reason);
    if (!resolved) {
        *code = BATCHTRACE_EUSAGE;
        return NULL;
    }
    char detail[REASON_MAX];
    store_t *store = store_open(resolved, true, detail);
    *code = 0;
    if (!store) {
        *code = BATCHTRACE_EFATAL;
        fail(reason, "the store cannot be used: %s", detail);
    }
    free(resolved);
    return store;
}

/* See batchtrace.h. */
int batchtrace_bind(const batchtrace_bind_options *options) {
    char reason[REASON_MAX];
    if (!options || options->version != BATCHTRACE_BIND_OPTIONS_VERSION)
        return api_set_error(BATCHTRACE_EUSAGE, "options version mismatch: initialize with "
                                                "BATCHTRACE_BIND_OPTIONS_INIT");
    if (!options->batch_id || !options->context)
        return api_set_error(BATCHTRACE_EUSAGE, "bind needs --batch-id ID and --context TOKEN");
    if (check_batch_id(options->batch_id, reason) != 0)
        return api_set_error(BATCHTRACE_EUSAGE, reason);
    int64_t now_ns; /* when a batch this store never saw is recorded */
    bool pinned;
    if (collect_time_now(&now_ns, &pinned, reason) != 0)
        return api_set_error(BATCHTRACE_EUSAGE, reason);
    int code = 0;
    store_t *store = open_store(options->store, &code, reason);
    if (!store) return api_set_error(code, reason);
    resume_context context;
    memset(&context, 0, sizeof context);
    context.store = store;
    context.now_ns = now_ns;
    signing_key key;
    char why[REASON_MAX];
    int rc = BATCHTRACE_OK;
    if (resume_signing_key(store, &key, reason) != 0) {
        rc = api_set_error(BATCHTRACE_EFATAL, reason);
        goto done;
    }
    if (context_token_verify(options->context, key.bytes, key.len, &context.claims, why) != 0) {
        fail(reason, "the context token cannot be used: %s", why);
        rc = api_set_error(BATCHTRACE_EUSAGE, reason);
        goto done;
    }
    context.active = true;
    context.token = xstrdup(options->context);
    hex_encode(context.claims.nonce, 16, context.nonce);
    snprintf(context.source, sizeof context.source, "--context");
    int found = store_batch_find(store, context.nonce, NULL, &context.record, reason);
    if (found < 0) {
        rc = api_set_error(BATCHTRACE_EFATAL, reason);
        goto done;
    }
    context.recorded = found == 1;
    int recorded = resume_record(&context, options->batch_id, reason);
    if (recorded != 0)
        rc = api_set_error(recorded == STORE_CONFLICT ? BATCHTRACE_ECONFLICT : BATCHTRACE_EFATAL,
                           reason);
done:
    resume_close(&context);
    return rc;
}

/* The status summary handed to callers, with the storage its pointers borrow from. */
typedef struct status_owner {
    batchtrace_status_summary public; /* first: callers hold a pointer to this */
    store_batch *records;             /* owned */
    size_t record_count;
    batchtrace_batch_status *views;   /* one per record */
    char *store;                      /* the store's URL, owned */
} status_owner;

/* A record's state for a person: started, collecting, provisional (the task was sent
 * without the batch object) or complete. */
static const char *record_state(const store_batch *record) {
    if (record->task_exported) return record->task_provisional ? "provisional" : "complete";
    return record->items_exported ? "collecting" : "started";
}

/* See batchtrace.h. */
int batchtrace_status(batchtrace_status_summary **out, const batchtrace_status_options *options) {
    status_owner *owner = xcalloc(1, sizeof *owner);
    *out = &owner->public;
    char reason[REASON_MAX];
    int rc = BATCHTRACE_OK;
    store_t *store = NULL;
    char *resolved = NULL; /* the store's URL (with its password, when it has one) */
    if (!options || options->version != BATCHTRACE_STATUS_OPTIONS_VERSION) {
        rc = api_set_error(BATCHTRACE_EUSAGE, "options version mismatch: initialize with "
                                              "BATCHTRACE_STATUS_OPTIONS_INIT");
        goto done;
    }
    resolved = store_resolve_url(options->store, reason);
    if (!resolved) {
        rc = api_set_error(BATCHTRACE_EUSAGE, reason);
        goto done;
    }
    owner->store = store_shown_url(resolved); /* no password in a message */
    /* Read-only; read again when a writer started on a store read as immutable meanwhile. */
    for (int attempt = 0;; attempt++) {
        char detail[REASON_MAX];
        bool older;
        store = store_open_readonly(resolved, &older, detail);
        if (!store && !detail[0]) goto done; /* no store yet: nothing to list */
        /* batchtrace's own store at an older schema (judged ours, never a foreign file):
         * upgrade it as any other command would, rather than refuse to list it. */
        if (!store && older) store = store_open(resolved, false, detail);
        if (!store) {
            fail(reason, "the store cannot be used: %s", detail);
            rc = api_set_error(BATCHTRACE_EFATAL, reason);
            goto done;
        }
        if (store_batch_list(store, options->batch_id, &owner->records, &owner->record_count,
                             reason) != 0 ||
            store_spool_count(store, &owner->public.spooled_requests,
                              &owner->public.spooled_spans, reason) != 0) {
            rc = api_set_error(BATCHTRACE_EFATAL, reason);
            goto done;
        }
        if (store_read_stable(store) || attempt == 2) break;
        store_close(store);
        store = NULL;
        for (size_t i = 0; i < owner->record_count; i++) store_batch_free(&owner->records[i]);
        free(owner->records);
        owner->records = NULL;
        owner->record_count = 0;
    }
    owner->views = xcalloc(owner->record_count ? owner->record_count : 1, sizeof *owner->views);
    for (size_t i = 0; i < owner->record_count; i++) {
        const store_batch *record = &owner->records[i];
        batchtrace_batch_status *view = &owner->views[i];
        view->provider = record->provider;
        view->batch_id = record->batch_id ? record->batch_id : "";
        view->state = record_state(record);
        view->batch_status = record->batch_status ? record->batch_status : "";
        memcpy(view->trace_id, record->trace_id, sizeof view->trace_id);
        view->created_ns = record->created_ns;
        view->request_count = record->request_count;
        view->items_exported = record->items_exported;
        view->task_exported = record->task_exported;
        view->inputs_kept = record->inputs_kept;
    }
    owner->public.batches = owner->views;
    owner->public.batch_count = owner->record_count;
done:
    store_close(store);
    free(resolved);
    owner->public.store = owner->store ? owner->store : "";
    return rc;
}

/* See batchtrace.h. */
char *batchtrace_status_summary_json(const batchtrace_status_summary *s) {
    buf_t out = BUF_INIT;
    jw_t w;
    jw_init(&w, &out);
    jw_object_open(&w);
    jw_key(&w, "store");
    jw_cstring(&w, s->store);
    jw_key(&w, "batches");
    jw_array_open(&w);
    for (size_t i = 0; i < s->batch_count; i++) {
        const batchtrace_batch_status *b = &s->batches[i];
        char created[40];
        time_format_rfc3339(b->created_ns, created, sizeof created);
        jw_object_open(&w);
        jw_key(&w, "provider");
        jw_cstring(&w, b->provider);
        jw_key(&w, "batch_id");
        jw_cstring(&w, b->batch_id);
        jw_key(&w, "state");
        jw_cstring(&w, b->state);
        jw_key(&w, "batch_status");
        jw_cstring(&w, b->batch_status);
        jw_key(&w, "trace_id");
        jw_cstring(&w, b->trace_id);
        jw_key(&w, "created");
        jw_cstring(&w, created);
        jw_key(&w, "request_count");
        jw_uint(&w, b->request_count);
        jw_key(&w, "items_exported");
        jw_uint(&w, b->items_exported);
        jw_key(&w, "task_exported");
        jw_bool(&w, b->task_exported != 0);
        jw_key(&w, "inputs_kept");
        jw_bool(&w, b->inputs_kept != 0);
        jw_object_close(&w);
    }
    jw_array_close(&w);
    jw_key(&w, "spooled_requests");
    jw_uint(&w, s->spooled_requests);
    jw_key(&w, "spooled_spans");
    jw_uint(&w, s->spooled_spans);
    jw_object_close(&w);
    return buf_detach(&out);
}

/* See batchtrace.h. */
void batchtrace_status_summary_free(batchtrace_status_summary *summary) {
    if (!summary) return;
    status_owner *owner = (status_owner *)summary;
    for (size_t i = 0; i < owner->record_count; i++) store_batch_free(&owner->records[i]);
    free(owner->records);
    free(owner->views);
    free(owner->store);
    free(owner);
}
