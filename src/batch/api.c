/* The public API of include/batchtrace.h: options in, a validated collect_config, the
 * engine run, a summary out. Everything a C caller gets the CLI gets, and no more. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch/api.h"
#include "batch/collect.h"
#include "batch/diag.h"
#include "batch/index.h"
#include "batchtrace.h"
#include "export/flush.h"
#include "export/select.h"
#include "json/writer.h"
#include "span/limit.h"
#include "span/resource.h"
#include "source/source.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/hash.h"
#include "util/timeutil.h"

static _Thread_local char last_error[REASON_MAX + 64];

/* Remember why the current call failed and return code. */
static int set_error(int code, const char *reason) {
    snprintf(last_error, sizeof last_error, "%s", reason);
    return code;
}

const char *batchtrace_version(void) { return BATCHTRACE_VERSION; }

const char *batchtrace_last_error(void) { return last_error; }

/* The summary handed to callers, with the storage its pointers borrow from. */
typedef struct summary_owner {
    batchtrace_summary public;       /* first: callers hold a pointer to this */
    collect_outcome outcome;         /* owns provider, batch id, status, outcome strings */
    diag_sink diags;                 /* owns the kept diagnostics */
    batchtrace_diagnostic *rejected; /* views of diags.rejected */
    batchtrace_diagnostic *warnings; /* views of diags.warnings */
    char *destination;               /* owned */
    char *store;                     /* the spool's store URL, owned (NULL: nothing spooled) */
    batchtrace_error_group *groups;  /* views of outcome.stats's groups; owned array */
    char *report_json;               /* owned */
} summary_owner;

/* Views of a diagnostic list in the public shape. */
static batchtrace_diagnostic *diagnostic_views(const diag_list *list) {
    batchtrace_diagnostic *views = xcalloc(list->kept ? list->kept : 1, sizeof *views);
    for (size_t i = 0; i < list->kept; i++) {
        views[i].file = list->entries[i].file;
        views[i].line = list->entries[i].line;
        views[i].reason = list->entries[i].reason;
    }
    return views;
}

/* Fill the public summary from the outcome and the diagnostics. */
static void publish(summary_owner *owner) {
    batchtrace_summary *s = &owner->public;
    collect_outcome *o = &owner->outcome;
    s->exit_code = o->exit_code;
    s->provider = o->provider ? o->provider : "";
    s->batch_id = o->batch_id ? o->batch_id : "";
    s->batch_status = o->batch_status ? o->batch_status : "";
    memcpy(s->trace_id, o->trace_id, sizeof s->trace_id);
    memcpy(s->task_span_id, o->task_span_id, sizeof s->task_span_id);
    s->spans_exported = o->spans_exported;
    s->spans_failed = o->spans_failed;
    s->items.total = o->total;
    s->items.succeeded = o->succeeded;
    s->items.errored = o->errored;
    s->items.canceled = o->canceled;
    s->items.expired = o->expired;
    s->items.missing = o->missing;
    s->tokens.input = o->tokens_input;
    s->tokens.output = o->tokens_output;
    s->tokens.cache_read = o->tokens_cache_read;
    s->tokens.cache_creation = o->tokens_cache_creation;
    s->tokens.reasoning = o->tokens_reasoning;
    owner->rejected = diagnostic_views(&owner->diags.rejected);
    owner->warnings = diagnostic_views(&owner->diags.warnings);
    s->rejected = owner->rejected;
    s->rejected_kept = owner->diags.rejected.kept;
    s->rejected_count = owner->diags.rejected.total;
    s->warnings = owner->warnings;
    s->warnings_kept = owner->diags.warnings.kept;
    s->warnings_count = owner->diags.warnings.total;
    s->destination = owner->destination ? owner->destination : "";
    s->outcome = o->outcome ? o->outcome : "";
    s->spans_truncated = o->spans_truncated;
    s->items_skipped = o->items_skipped;
    s->store = owner->store ? owner->store : "";
    const report_stats *stats = &o->stats;
    s->has_cost = stats->priced_items > 0;
    s->cost_usd = stats->cost_usd;
    s->cost_saved_usd = stats->saved_usd;
    s->items_unpriced = stats->unpriced_items;
    owner->groups = xcalloc(stats->group_count + 1, sizeof *owner->groups);
    for (size_t i = 0; i < stats->group_count; i++)
        owner->groups[i] = (batchtrace_error_group){
            stats->groups[i].type, stats->groups[i].message, stats->groups[i].count,
            (const char *const *)stats->groups[i].custom_ids, stats->groups[i].id_count};
    s->error_groups = owner->groups;
    s->error_group_count = stats->group_count;
    if (!owner->report_json) owner->report_json = collect_report_json(o);
    s->report_json = owner->report_json;
}

/* The sources a collect reads, built from the options' paths and sources. */
typedef struct collect_sources {
    batchtrace_source *results;      /* results_paths then results_sources; owned array */
    size_t results_count;
    batchtrace_source batch;         /* kind PATH with a NULL path: none */
    batchtrace_source input;
} collect_sources;

/* Whether spec reads stdin. */
static bool reads_stdin(const batchtrace_source *spec) {
    return spec->kind == BATCHTRACE_SOURCE_PATH && spec->path && source_is_stdin(spec->path);
}

/* Whether spec names a source at all. */
static bool given(const batchtrace_source *spec) {
    return spec->kind != BATCHTRACE_SOURCE_PATH || spec->path;
}

/* Gather the collect's sources (a path is a source of kind PATH). -1 with reason when a
 * role is given both a path and a source. */
static int gather_sources(const batchtrace_collect_options *options, collect_sources *sources,
                          char *reason) {
    size_t paths = options->results_paths ? options->results_count : 0;
    size_t more = options->results_sources ? options->results_source_count : 0;
    sources->results_count = paths + more;
    sources->results = xcalloc(paths + more + 1, sizeof *sources->results);
    for (size_t i = 0; i < paths; i++)
        sources->results[i] = (batchtrace_source){.kind = BATCHTRACE_SOURCE_PATH,
                                                  .path = options->results_paths[i]};
    for (size_t i = 0; i < more; i++) sources->results[paths + i] = options->results_sources[i];
    if (options->batch_path && options->batch_source)
        return fail(reason, "give either batch_path or batch_source, not both");
    if (options->input_path && options->input_source)
        return fail(reason, "give either input_path or input_source, not both");
    sources->batch = options->batch_source ? *options->batch_source
                                           : (batchtrace_source){.path = options->batch_path};
    sources->input = options->input_source ? *options->input_source
                                           : (batchtrace_source){.path = options->input_path};
    return 0;
}

/* Check a collect's sources: stdin can feed one of them at most (it is read once), and the
 * results fit the index's file numbers. -1 with reason. */
static int check_sources(const collect_sources *sources, char *reason) {
    size_t results = sources->results_count;
    if (results > INDEX_RESULT_FILES_MAX)
        return fail(reason, "too many results files: %zu (at most %zu)", results,
                    INDEX_RESULT_FILES_MAX);
    size_t from_stdin = 0;
    for (size_t i = 0; i < results; i++) from_stdin += reads_stdin(&sources->results[i]);
    from_stdin += reads_stdin(&sources->input) + reads_stdin(&sources->batch);
    if (from_stdin > 1)
        return fail(reason, "stdin can be read only once: give - (or /dev/stdin) to one of "
                            "--results, --input and --batch");
    return 0;
}

/* The path spec reads, or NULL when it is no path. */
static const char *path_of(const batchtrace_source *spec) {
    return spec->kind == BATCHTRACE_SOURCE_PATH ? spec->path : NULL;
}

/* Turn the public options into an engine configuration. -1 with reason on a usage error. */
static int configure(const batchtrace_collect_options *options, collect_sources *sources,
                     collect_config *config, char *reason) {
    if (!options || options->version != BATCHTRACE_COLLECT_OPTIONS_VERSION)
        return fail(reason, "options version mismatch: initialize with "
                            "BATCHTRACE_COLLECT_OPTIONS_INIT");
    if (gather_sources(options, sources, reason) != 0) return -1;
    /* A batch that failed validation has no results file: its batch object is enough. */
    if (sources->results_count == 0 && !given(&sources->batch))
        return fail(reason, "nothing to collect: give --results FILE (repeatable) and/or "
                            "--batch FILE");
    if (check_sources(sources, reason) != 0) return -1;
    config->results = sources->results;
    config->results_count = sources->results_count;
    config->batch = given(&sources->batch) ? &sources->batch : NULL;
    config->input = given(&sources->input) ? &sources->input : NULL;
    if (options->provider) {
        config->provider = provider_by_name(options->provider);
        if (!config->provider)
            return fail(reason, "unknown provider \"%s\" (use one of %s)", options->provider,
                        provider_names());
    }
    const char *parent = options->parent;
    if (parent && options->trace_id)
        return fail(reason, "give either --parent or --trace-id, not both");
    if (!parent && !options->trace_id) {
        const char *ambient = getenv("TRACEPARENT");
        if (ambient && *ambient) parent = ambient;
    }
    if (parent) {
        if (!identity_parse_traceparent(parent, &config->parent))
            return fail(reason, "%s is not a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>): "
                                "\"%.60s\"", options->parent ? "--parent" : "TRACEPARENT",
                        parent);
        config->has_parent = true;
    } else if (options->trace_id) {
        size_t len = strlen(options->trace_id);
        if (!hex_decode(options->trace_id, len, config->trace_id, 16) ||
            bytes_all_zero(config->trace_id, 16))
            return fail(reason, "--trace-id must be 32 hex digits, not all zero: \"%.40s\"",
                        options->trace_id);
        config->has_trace_id = true;
    }
    config->parent_from_flag = options->parent || options->trace_id;
    config->context_token = options->context;
    config->batch_id = options->batch_id && *options->batch_id ? options->batch_id : NULL;
    config->store_url = options->store;
    if (store_check_named_url(options->store, reason) != 0) return -1;
    config->force = options->force != 0;
    config->no_content = options->no_content != 0;
    config->on_progress = options->on_progress;
    config->callback_ctx = options->callback_ctx;
    config->max_line = options->max_line_bytes;
    if (options->max_attribute_bytes && options->max_attribute_bytes < SPAN_LIMIT_MIN_BYTES)
        return fail(reason, "--max-attribute-bytes must be at least %d, not %zu",
                    SPAN_LIMIT_MIN_BYTES, options->max_attribute_bytes);
    config->max_attribute_bytes = options->max_attribute_bytes;
    bool pinned;
    return collect_time_now(&config->now_ns, &pinned, reason);
}

/* export_notice_fn: the otlp exporter's notices (a request refused, spans spooled) become
 * warnings, or errors when spans are lost. ctx is the diag_sink. */
static void export_notice(void *ctx, batchtrace_severity severity, const char *message) {
    diag_report(ctx, severity, "", 0, "%s", message);
}

/* The Braintrust preset turns on the braintrust convention: rebuild the list with it
 * (the names were checked when the list was first built). */
static void add_preset_convention(const batchtrace_collect_options *options,
                                  const convention ***list, size_t *count) {
    size_t named = options->conventions ? options->convention_count : 0;
    const char **names = xcalloc(named + 1, sizeof *names);
    for (size_t i = 0; i < named; i++) names[i] = options->conventions[i];
    names[named] = "braintrust";
    free(*list);
    char ignored[REASON_MAX];
    convention_list_build(names, named + 1, list, count, ignored);
    free(names);
}

/* batchtrace_collect, or with report_only batchtrace_report: the same run, without an
 * exporter (spans are built and dropped) or the store. */
static int run_collect(batchtrace_summary **out, const batchtrace_collect_options *options,
                       bool report_only) {
    summary_owner *owner = xcalloc(1, sizeof *owner);
    *out = &owner->public;
    owner->public.exit_code = BATCHTRACE_EXIT_FATAL;
    owner->diags.callback = options ? options->on_diagnostic : NULL;
    owner->diags.callback_ctx = options ? options->callback_ctx : NULL;
    char reason[REASON_MAX];
    collect_config config;
    memset(&config, 0, sizeof config);
    span_resource resource;
    memset(&resource, 0, sizeof resource);
    exporter_t *exporter = NULL;
    const convention **conventions = NULL; /* linkage, genai, then the named ones; owned */
    export_input_file *inputs = NULL;      /* the files the output must not be; owned */
    collect_sources sources;               /* what config's sources point into */
    memset(&sources, 0, sizeof sources);
    price_table prices = {NULL, 0};
    int rc;

    if (configure(options, &sources, &config, reason) != 0 ||
        convention_list_build(options->conventions,
                              options->conventions ? options->convention_count : 0,
                              &conventions, &config.convention_count, reason) != 0) {
        owner->public.exit_code = BATCHTRACE_EXIT_USAGE;
        rc = set_error(BATCHTRACE_EUSAGE, reason);
        goto done;
    }
    if (prices_load(&prices, options->prices_path, reason) != 0) {
        owner->public.exit_code = BATCHTRACE_EXIT_USAGE;
        rc = set_error(BATCHTRACE_EUSAGE, reason);
        goto done;
    }
    config.prices = &prices;
    config.report_only = report_only;
    if (resource_from_env(&resource, reason) > 0)
        diag_warn(&owner->diags, "", 0, "%s", reason);
    export_request request = {options->exporter, options->output_path, options->endpoint,
                              options->protocol, options->store, options->max_request_bytes,
                              options->max_in_flight, options->export_timeout,
                              options->braintrust_parent, export_notice, &owner->diags, false,
                              false, NULL, 0};
    /* The output may be none of the files read (a buffer or a callback is no file). */
    inputs = xcalloc(sources.results_count + 2, sizeof *inputs);
    for (size_t i = 0; i < sources.results_count; i++)
        inputs[request.input_count++] =
            (export_input_file){"the results file", "--results", path_of(&sources.results[i])};
    inputs[request.input_count++] =
        (export_input_file){"the input file", "--input", path_of(&sources.input)};
    inputs[request.input_count++] =
        (export_input_file){"the batch file", "--batch", path_of(&sources.batch)};
    request.inputs = inputs;
    request.truncate_output = options->truncate_output != 0;
    int usage_error = 0;
    exporter = report_only ? exporter_discard_new()
                           : export_select(&request, &resource, &owner->destination,
                                           &usage_error, reason);
    if (!exporter) {
        owner->public.exit_code = usage_error ? BATCHTRACE_EXIT_USAGE : BATCHTRACE_EXIT_FATAL;
        rc = set_error(usage_error ? BATCHTRACE_EUSAGE : BATCHTRACE_EFATAL, reason);
        goto done;
    }
    if (export_braintrust_preset(&request))
        add_preset_convention(options, &conventions, &config.convention_count);
    config.conventions = conventions;
    config.exporter = exporter;
    config.diags = &owner->diags;
    if (collect_run(&config, &owner->outcome, reason) != 0) {
        rc = set_error(BATCHTRACE_EFATAL, reason);
        collect_outcome_free(&owner->outcome);
        owner->outcome.exit_code = BATCHTRACE_EXIT_FATAL;
        goto done;
    }
    export_details details; /* what the otlp exporter spooled, once collect_run finished it */
    exporter_details(exporter, &details);
    owner->public.spans_spooled = details.spans_spooled;
    owner->public.spans_rejected = details.spans_rejected;
    owner->public.interrupted = details.interrupted;
    if (details.store_url) owner->store = xstrdup(details.store_url);
    rc = BATCHTRACE_OK;
done:
    exporter_free(exporter);
    resource_free(&resource);
    prices_free(&prices);
    free(conventions);
    free(inputs);
    free(sources.results);
    if (rc != BATCHTRACE_OK) owner->outcome.exit_code = owner->public.exit_code;
    owner->public.max_attribute_bytes = config.max_attribute_bytes;
    publish(owner);
    return rc;
}

int batchtrace_collect(batchtrace_summary **out, const batchtrace_collect_options *options) {
    return run_collect(out, options, false);
}

/* The report a collect with a context kept in the store for batch_id, into *report
 * (malloc'd). 0, or -1 with reason (none kept, the store unusable). */
static int stored_report(const char *store_url, const char *batch_id, char **report,
                         char *reason) {
    char *resolved = store_resolve_url(store_url, reason);
    if (!resolved) return -1;
    char *shown = store_shown_url(resolved); /* the URL in messages: no password */
    int rc = -1;
    store_t *store = NULL;
    /* Read-only (as status reads); again when a writer started meanwhile. */
    for (int attempt = 0; attempt < 3; attempt++) {
        char detail[REASON_MAX];
        bool older;
        store = store_open_readonly(resolved, &older, detail);
        if (!store && older) store = store_open(resolved, false, detail);
        if (!store) {
            fail(reason, "batch id %.100s: %s%s", batch_id,
                 detail[0] ? "the store cannot be used: " : "nothing is stored in ",
                 detail[0] ? detail : shown);
            goto done;
        }
        int found = store_report_get(store, batch_id, report, detail);
        if (found < 0) {
            fail(reason, "%s", detail);
            goto done;
        }
        if (store_read_stable(store) || attempt == 2) {
            rc = found ? 0 : fail(reason, "batch id %.100s has no report in the store %s "
                                          "(one is kept by a collect with a context: "
                                          "otherwise give the files with --results)",
                                  batch_id, shown);
            goto done;
        }
        free(*report);
        *report = NULL;
        store_close(store);
        store = NULL;
    }
done:
    store_close(store);
    free(resolved);
    free(shown);
    return rc;
}

int batchtrace_report(batchtrace_summary **out, const batchtrace_collect_options *options) {
    bool from_store = options && options->version == BATCHTRACE_COLLECT_OPTIONS_VERSION &&
                      options->batch_id && !options->results_count &&
                      !options->results_source_count && !options->batch_path &&
                      !options->batch_source;
    if (!from_store) return run_collect(out, options, true);
    summary_owner *owner = xcalloc(1, sizeof *owner);
    *out = &owner->public;
    char reason[REASON_MAX];
    int rc = BATCHTRACE_OK;
    if (store_check_named_url(options->store, reason) != 0) {
        owner->outcome.exit_code = BATCHTRACE_EXIT_USAGE;
        rc = set_error(BATCHTRACE_EUSAGE, reason);
    } else if (stored_report(options->store, options->batch_id, &owner->report_json,
                             reason) != 0) {
        owner->outcome.exit_code = BATCHTRACE_EXIT_FATAL;
        rc = set_error(BATCHTRACE_EFATAL, reason);
        owner->report_json = xstrdup("{}");
    }
    owner->outcome.provider = xstrdup("");
    owner->outcome.batch_id = xstrdup(options->batch_id);
    owner->outcome.batch_status = xstrdup("");
    owner->outcome.outcome = xstrdup("");
    publish(owner);
    return rc;
}

void api_write_diagnostics(jw_t *w, const batchtrace_diagnostic *list, size_t count) {
    jw_array_open(w);
    for (size_t i = 0; i < count; i++) {
        jw_object_open(w);
        jw_key(w, "file");
        jw_cstring(w, list[i].file);
        jw_key(w, "line");
        jw_uint(w, list[i].line);
        jw_key(w, "reason");
        jw_cstring(w, list[i].reason);
        jw_object_close(w);
    }
    jw_array_close(w);
}

char *batchtrace_summary_json(const batchtrace_summary *s) {
    buf_t out = BUF_INIT;
    jw_t w;
    jw_init(&w, &out);
    jw_object_open(&w);
    jw_key(&w, "trace_id");
    jw_cstring(&w, s->trace_id);
    jw_key(&w, "task_span_id");
    jw_cstring(&w, s->task_span_id);
    jw_key(&w, "spans_exported");
    jw_uint(&w, s->spans_exported);
    if (s->items_skipped) { /* with a context only: items an earlier run sent */
        jw_key(&w, "items_skipped");
        jw_uint(&w, s->items_skipped);
    }
    if (s->max_attribute_bytes) { /* only under a limit: without one nothing can be cut */
        jw_key(&w, "spans_truncated");
        jw_uint(&w, s->spans_truncated);
    }
    jw_key(&w, "items");
    jw_object_open(&w);
    jw_key(&w, "total");
    jw_uint(&w, s->items.total);
    jw_key(&w, "succeeded");
    jw_uint(&w, s->items.succeeded);
    jw_key(&w, "errored");
    jw_uint(&w, s->items.errored);
    jw_key(&w, "canceled");
    jw_uint(&w, s->items.canceled);
    jw_key(&w, "expired");
    jw_uint(&w, s->items.expired);
    jw_key(&w, "missing");
    jw_uint(&w, s->items.missing);
    jw_object_close(&w);
    jw_key(&w, "tokens");
    jw_object_open(&w);
    jw_key(&w, "input");
    jw_int(&w, s->tokens.input);
    jw_key(&w, "output");
    jw_int(&w, s->tokens.output);
    jw_key(&w, "cache_read");
    jw_int(&w, s->tokens.cache_read);
    jw_key(&w, "cache_creation");
    jw_int(&w, s->tokens.cache_creation);
    jw_key(&w, "reasoning");
    jw_int(&w, s->tokens.reasoning);
    jw_object_close(&w);
    if (s->has_cost || s->items_unpriced) {
        jw_key(&w, "cost");
        jw_object_open(&w);
        jw_key(&w, "usd");
        jw_double(&w, round(s->cost_usd * 1e6) / 1e6);
        jw_key(&w, "saved_usd");
        jw_double(&w, round(s->cost_saved_usd * 1e6) / 1e6);
        jw_key(&w, "unpriced_items");
        jw_uint(&w, s->items_unpriced);
        jw_object_close(&w);
    }
    jw_key(&w, "rejected");
    api_write_diagnostics(&w, s->rejected, s->rejected_kept);
    jw_key(&w, "rejected_count");
    jw_uint(&w, s->rejected_count);
    jw_key(&w, "warnings");
    api_write_diagnostics(&w, s->warnings, s->warnings_kept);
    jw_key(&w, "warnings_count");
    jw_uint(&w, s->warnings_count);
    jw_key(&w, "provider");
    jw_cstring(&w, s->provider);
    jw_key(&w, "batch_id");
    jw_cstring(&w, s->batch_id);
    jw_key(&w, "batch_status");
    jw_cstring(&w, s->batch_status);
    jw_key(&w, "destination");
    jw_cstring(&w, s->destination);
    if (s->spans_spooled) { /* export keys only when something went wrong, as above */
        jw_key(&w, "spans_spooled");
        jw_uint(&w, s->spans_spooled);
        jw_key(&w, "store");
        jw_cstring(&w, s->store);
    }
    if (s->spans_rejected) {
        jw_key(&w, "spans_rejected");
        jw_uint(&w, s->spans_rejected);
    }
    if (s->interrupted) {
        jw_key(&w, "interrupted");
        jw_bool(&w, true);
    }
    jw_key(&w, "exit_code");
    jw_int(&w, s->exit_code);
    jw_object_close(&w);
    return buf_detach(&out);
}

void batchtrace_summary_free(batchtrace_summary *summary) {
    if (!summary) return;
    summary_owner *owner = (summary_owner *)summary;
    collect_outcome_free(&owner->outcome);
    diag_sink_free(&owner->diags);
    free(owner->rejected);
    free(owner->warnings);
    free(owner->destination);
    free(owner->store);
    free(owner->groups);
    free(owner->report_json);
    free(owner);
}

/* See api.h. */
int api_set_error(int code, const char *reason) { return set_error(code, reason); }

/* See api.h. */
batchtrace_diagnostic *api_diagnostic_views(const diag_list *list) {
    return diagnostic_views(list);
}

/* See batchtrace.h: the flush itself is export/flush.c. */
int batchtrace_flush(batchtrace_flush_summary **out, const batchtrace_flush_options *options) {
    char reason[REASON_MAX] = "";
    int rc = flush_run(out, options, reason);
    return rc == BATCHTRACE_OK ? rc : set_error(rc, reason);
}
