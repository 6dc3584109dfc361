/* The collect engine (SPEC section 3, collect-only): index the inputs, stream the results,
 * correlate by custom_id, decide each item's and the batch's outcome, and hand one span per
 * item plus the task span to the exporter. It owns no I/O policy: the caller (api.c) builds
 * the exporter and reads the options; the engine borrows them. */
#ifndef BT_BATCH_COLLECT_H
#define BT_BATCH_COLLECT_H

#include <stdbool.h>
#include <stdint.h>

#include "batch/diag.h"
#include "batchtrace.h"
#include "conventions/convention.h"
#include "export/exporter.h"
#include "providers/provider.h"
#include "report/prices.h"
#include "report/stats.h"
#include "span/identity.h"

typedef struct collect_config {
    const batchtrace_source *results;      /* the results, in order (borrowed) */
    size_t results_count;
    const batchtrace_source *batch;        /* the batch object, NULL when none (borrowed) */
    const batchtrace_source *input;        /* the requests, NULL when none (borrowed) */
    const provider_ops *provider;          /* forced provider, or NULL to detect */
    bool has_parent;                       /* parent is the caller's context */
    trace_parent parent;
    bool has_trace_id;                     /* trace_id names an existing trace */
    uint8_t trace_id[16];
    const convention *const *conventions;  /* applied in order to every span */
    size_t convention_count;
    bool no_content;
    int64_t now_ns;                        /* the collection time */
    exporter_t *exporter;                  /* borrowed */
    diag_sink *diags;                      /* borrowed */
    batchtrace_progress_fn on_progress;    /* may be NULL */
    void *callback_ctx;
    size_t max_line;                       /* longest line / record read; 0: the default */
    size_t max_attribute_bytes;            /* cut longer string values (span/limit.h); 0: none */
    bool parent_from_flag;                 /* parent / trace_id came from a flag, not from
                                              TRACEPARENT (a context overrides it: warned) */
    const char *context_token;             /* --context, or NULL (batch/resume.h) */
    const char *batch_id;                  /* --batch-id, or NULL */
    const char *store_url;                 /* --store, or NULL: the default store */
    bool force;                            /* with a context: send again what was sent before */
    const price_table *prices;             /* prices items (batchtrace.cost.*); NULL: none */
    bool report_only;                      /* `batchtrace report`: no context, no store */
} collect_config;

/* What the engine found and did; strings are malloc'd and owned by the outcome. */
typedef struct collect_outcome {
    int exit_code;
    char *provider;                        /* "" when unknown */
    char *batch_id;
    char *batch_status;
    char *outcome;                         /* one sentence for a person */
    char trace_id[33];
    char task_span_id[17];                 /* "" when the task was not exported */
    uint64_t spans_exported, spans_failed;
    uint64_t total, succeeded, errored, canceled, expired, missing;
    int64_t tokens_input, tokens_output, tokens_cache_read, tokens_cache_creation,
        tokens_reasoning;
    uint64_t spans_truncated;              /* spans with a value cut by max_attribute_bytes */
    uint64_t items_skipped;                /* items an earlier run exported, not sent again */
    report_stats stats;                    /* what `batchtrace report` shows; owned */
    int64_t task_start_ns, task_end_ns;    /* the task's times (0: unknown) */
} collect_outcome;

/* Run a collection. 0 when it ran (outcome->exit_code tells how it went); -1 with reason
 * when nothing could be processed (a file unreadable, the batch object broken). */
int collect_run(const collect_config *config, collect_outcome *outcome, char *reason);
/* The outcome as `batchtrace report --json` writes it (malloc'd, NUL-terminated). */
char *collect_report_json(const collect_outcome *outcome);
/* Free the outcome's strings. */
void collect_outcome_free(collect_outcome *outcome);

/* The run's time: BATCHTRACE_NOW (RFC 3339) when set (*pinned true), else the clock. 0, or -1
 * with reason when the variable is not a timestamp. */
int collect_time_now(int64_t *now_ns, bool *pinned, char *reason);

#endif
