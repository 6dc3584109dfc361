/* `start` (SPEC section 3): before or right after the caller submits a batch, read its
 * requests, pick the batch's identity (the caller's trace or a new one, a random nonce, the
 * start time), record it in the store with the inputs' digest and, unless told not to, a
 * compressed copy of the inputs, export the `{provider}.batch.submit` span, and hand back
 * the signed context token (batch/context.h) that collect reads days later. Any rejected
 * request line stops it before anything is recorded or exported: the provider would
 * refuse the batch anyway. */
#ifndef BT_BATCH_START_H
#define BT_BATCH_START_H

#include <stdbool.h>
#include <stdint.h>

#include "batch/context.h"
#include "batch/diag.h"
#include "batchtrace.h"
#include "conventions/convention.h"
#include "export/select.h"
#include "providers/provider.h"
#include "span/identity.h"
#include "span/span.h"

typedef struct start_config {
    batchtrace_source input;           /* the batch's requests (its pointers borrowed) */
    const provider_ops *provider;      /* forced, or NULL to detect */
    bool has_parent;                   /* parent is the caller's span */
    trace_parent parent;
    const char *batch_id;              /* known already, or NULL (bind it later) */
    bool keep_inputs;                  /* keep a compressed copy in the store */
    const char *store_url;             /* --store, or NULL: the default store */
    int64_t start_ns;                  /* the start time */
    bool time_pinned;                  /* BATCHTRACE_NOW pins it: the span ends when it starts */
    size_t max_line;                   /* longest request record; 0: the default */
    const export_request *export_request; /* how to build the exporter (borrowed) */
    const span_resource *resource;     /* borrowed */
    diag_sink *diags;                  /* borrowed */
    const convention *const *conventions; /* the dialects whose submit hooks add attributes */
    size_t convention_count;
    size_t max_attribute_bytes;        /* cut longer values and bound the lists; 0: none */
} start_config;

/* What start did; strings are malloc'd and owned by the outcome. */
typedef struct start_outcome {
    int exit_code;                     /* BATCHTRACE_EXIT_* */
    char *provider;                    /* "" when unknown */
    char *context;                     /* the token; "" when none was made */
    char *batch_id;                    /* "" when not known yet */
    char *destination;                 /* where the submit span went; "" when nowhere */
    char *store;                       /* the store's URL; "" when none was used */
    char trace_id[33];                 /* hex; "" when no token was made */
    char submit_span_id[17];
    char task_span_id[17];             /* the task span collect will export */
    char traceparent[56];              /* 00-<trace>-<task span>-<flags>: for downstream work */
    char input_digest[65];             /* hex SHA-256 over the sorted custom_ids */
    uint64_t request_count;
    bool inputs_kept;
    uint64_t spans_exported, spans_failed, spans_spooled;
} start_outcome;

/* Run start. 0 when it ran (outcome->exit_code tells how: 3 with rejected lines and no
 * token), -1 with reason when it could not (an unreadable file, a broken store; *usage_error
 * set when the fault is in the options, e.g. a batch id bound to another batch). */
int start_run(const start_config *config, start_outcome *outcome, int *usage_error,
              char *reason);
/* Free the outcome's strings. */
void start_outcome_free(start_outcome *outcome);

#endif
