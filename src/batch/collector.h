/* The collector: the state of one collection, shared by the modules of the collect engine
 * (collect.c runs it; items.c builds, exports and counts the items' spans and streams the
 * result lines through the workers). Private to src/batch. */
#ifndef BT_BATCH_COLLECTOR_H
#define BT_BATCH_COLLECTOR_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "batch/collect.h"
#include "batch/index.h"
#include "batch/inputs.h"
#include "batch/resume.h"
#include "json/json.h"
#include "source/source.h"
#include "util/arena.h"
#include "util/buf.h"

/* Everything one collection works with. */
typedef struct collector {
    const collect_config *config;
    const provider_ops *provider;     /* forced, or detected from the first record */
    bool has_batch;
    batch_info batch;                 /* strings in batch_arena */
    arena_t batch_arena;
    buf_t batch_text;                 /* the batch object's JSON, which batch borrows */
    char *batch_name;                 /* the batch object's name in messages; owned */
    buf_t inlined_requests;           /* the batch object's inlined records as JSONL lines */
    buf_t inlined_results;            /* (provider_ops.batch_records); empty when none */
    collect_config inlined_config;    /* the caller's config plus those two as sources */
    batchtrace_source *inlined_sources; /* its results: the caller's, then the inlined */
    batchtrace_source inlined_input;  /* its input when the caller gave none */
    bool has_input;
    source_t input_source;            /* --input, else the inputs kept in the store (zeroed
                                         when there are none) */
    input_file input;                 /* its index pass, reading it back */
    custom_id_index index;            /* inputs and results by custom_id */
    pthread_mutex_t index_lock;       /* guards index while results stream (find_input) */
    source_t *results;                /* one per results file, opened up front; every pass
                                         reads these (owned) */
    uint64_t results_bytes;           /* total size of the results files */

    bt_str batch_id;                  /* the batch object's id, else --batch-id (borrowed) */
    resume_context resume;            /* the batch's context from start, when one is used */
    uint32_t *claim_queue;            /* entry numbers waiting for their claim (CLAIM_CHUNK) */
    size_t claim_queued;
    bool task_claimed;                /* this run won the task's claim */
    bool task_held;                   /* another live run holds the task's claim */
    uint64_t items_skipped;           /* items an earlier run delivered, not sent again */
    uint64_t items_held;              /* items another live run holds: it sends them */
    bool mark_failed;                 /* a delivered mark could not be written (said once) */
    uint64_t items_sent;              /* item spans sent by this run (with a context) */

    uint8_t nonce[NONCE_LEN];
    uint8_t trace_id[16];
    uint8_t task_span_id[8];
    bool has_parent;                  /* the task is a child of parent_span_id */
    uint8_t parent_span_id[8];
    uint32_t trace_flags;
    int64_t task_start_ns;
    int64_t earliest_item_end_ns;     /* the results' earliest item timestamp, when looked for */
    int64_t latest_item_end_ns;
    uint64_t ends_observed;           /* items whose end is the collection time (no timestamp) */

    arena_t item_arena;               /* one item and its span at a time (caller's thread) */
    json_doc request_doc;             /* an input record parsed for close_unresolved */
    buf_t request_text;               /* its text */

    uint64_t item_spans;              /* item spans handed to the exporter */
    uint64_t spans_truncated;         /* spans whose values max_attribute_bytes cut */
    uint64_t succeeded, errored, canceled, expired, missing, pending;
    bool has_valid_record;            /* at least one record was usable */
    token_totals tokens;
    char **models;                    /* distinct models, sorted, owned */
    size_t model_count;
    bool export_failed;
    char export_reason[REASON_MAX];
    report_stats stats;               /* what `batchtrace report` shows (src/report) */
} collector;

/* Stream every results file: each line is judged (parsed, matched with its input, its
 * span built and encoded) on the worker threads, then settled in file order here
 * (rejected, or exported and counted). -1 with reason on a read error. */
int items_stream(collector *c, char *reason);
/* Price item, export its LLM span (when this run sends it) and count the item, on the
 * caller's thread: for items that have no result line. */
void items_emit(collector *c, bt_item *item, index_entry *entry);
/* Give item the batch object's model as its request model when its records name none
 * (Bedrock records carry no model id; its job does). */
void items_default_model(const collector *c, bt_item *item);
/* Fill the request side of item from the input record of entry, read into text and
 * parsed into doc (item's strings point into both, and into arena). Safe on the workers.
 * -1 with reason. */
int items_load_request(const collector *c, const index_entry *entry, buf_t *text,
                       json_doc *doc, arena_t *arena, bt_item *item, char *reason);
/* Hand a finished span to the exporter with tag (an entry number, or COLLECT_TASK_TAG;
 * values cut to max_attribute_bytes first, the span then counted as truncated),
 * remembering a failure (the run then exits 5). */
void items_export_span(collector *c, span_t *span, uint64_t tag);

/* The outcome tag of the task span (items are tagged with their index entry number). */
#define COLLECT_TASK_TAG UINT64_MAX

/* With a context: queue entry's claim (once per run), asking the store when CLAIM_CHUNK
 * are queued. -1 with reason when the store fails. */
int collect_claim(collector *c, index_entry *entry, char *reason);
/* With a context: ask the store for the queued claims in one transaction, flagging each
 * entry INDEX_CLAIMED (won: this run sends it) or INDEX_HELD (another live run holds it);
 * one a run delivered before gets neither. -1 with reason (then none is flagged). */
int collect_claims_flush(collector *c, char *reason);

#endif
