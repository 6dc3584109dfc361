/* `batchtrace sync` (docs/design.md "Sync"): find every batch of an account through the
 * provider's own API (OpenAI Batch, Anthropic Message Batches) and trace each exactly
 * once. It lists the batches (every page), records those the store has not seen, and
 * collects each ended one not yet complete: the batch object, and the files streamed into
 * batchtrace_collect as callback sources. Exactly once comes from the store's claims,
 * whoever collects (a binding, the proxy, a manual collect, another sync). */
#ifndef BT_SYNC_SYNC_H
#define BT_SYNC_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "batchtrace.h"

/* What sync did with one batch. */
typedef enum sync_action {
    SYNC_COLLECTED,     /* collected now: summary says how it went */
    SYNC_PENDING,       /* still running at the provider: recorded, collected later */
    SYNC_COMPLETE,      /* traced before (by sync or anything else on this store) */
    SYNC_FAILED,        /* could not be collected this time (error says why): next run */
} sync_action;

/* One batch's report, handed to on_batch as it is done. Borrowed for the call. */
typedef struct sync_batch_report {
    const char *provider;
    const char *batch_id;
    const char *batch_status;          /* the provider's status */
    sync_action action;
    const char *inputs;                /* where the requests came from, for a person */
    const batchtrace_summary *summary; /* SYNC_COLLECTED (also SYNC_FAILED when collect ran) */
    const char *error;                 /* SYNC_FAILED: why; else "" */
    int exit_code;                     /* this batch's: 0, or as collect's */
} sync_batch_report;

/* What to sync and where the spans go. */
typedef struct sync_options {
    const char *provider;              /* "openai" | "anthropic" */
    const char *const *batch_ids;      /* only these batches (no listing), or none */
    size_t batch_id_count;
    int64_t since_ns;                  /* only batches created at or after this; 0: all */
    const batchtrace_collect_options *collect; /* the export settings, store, conventions and
                                          callbacks of each collect (files and context are
                                          sync's) */
    void (*on_batch)(void *ctx, const sync_batch_report *report);
    void (*on_notice)(void *ctx, const char *text); /* retries, skipped list entries */
    void *callback_ctx;
} sync_options;

/* Totals of a run. */
typedef struct sync_totals {
    uint64_t listed, collected, pending, complete, failed;
    int interrupted;                   /* non-zero: a SIGINT/SIGTERM (batchtrace_interrupt) cut
                                          a collect short and the run stopped there */
} sync_totals;

/* Sync once. Returns the run's exit code (the most severe of its batches', SPEC section 8;
 * batches still running leave it 0); reason says why when it is 1 or 2 before any batch
 * was looked at (no key, the list could not be read, the store cannot be used). */
int sync_run(const sync_options *options, sync_totals *totals, char *reason);

#endif
