/* What store.c dispatches to (store.h is the interface callers use): each backend embeds a
 * store_t as its handle's first member and fills one store_ops table; store.c picks the
 * backend by the URL's scheme and forwards every store_* call through the handle's table.
 * Backend-neutral helpers shared by both backends live here too (runs: which process holds
 * a claim, and whether it is alive). */
#ifndef BT_STORE_BACKEND_H
#define BT_STORE_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

/* One backend's implementation of store.h, function by function (same contracts). */
typedef struct store_ops {
    void (*close)(store_t *store);
    const char *(*url)(const store_t *store);
    bool (*read_stable)(const store_t *store);
    void (*set_cancel)(store_t *store, int (*cancelled)(void));
    int (*begin)(store_t *store, char *reason);
    int (*commit)(store_t *store, char *reason);
    void (*rollback)(store_t *store);
    int (*spool_put)(store_t *store, spool_chunk *chunk, char *reason);
    int (*spool_count)(store_t *store, uint64_t *chunks, uint64_t *spans, char *reason);
    int (*spool_tally)(store_t *store, uint64_t *waiting_spans, uint64_t *held_spans,
                       char *reason);
    int (*spool_claim)(store_t *store, int64_t after_id, spool_claim *claim, char *reason);
    int (*spool_delete)(store_t *store, int64_t id, char *reason);
    int (*spool_replace)(store_t *store, int64_t id, spool_chunk *chunks, size_t count,
                         char *reason);
    int (*spool_release)(store_t *store, int64_t id, const char *why, char *reason);
    int (*signing_key)(store_t *store, uint8_t key[STORE_KEY_LEN], char *reason);
    int (*batch_put)(store_t *store, const store_batch *batch, char *reason);
    int (*batch_put_ahead)(store_t *store, const store_batch *batch, spool_chunk *chunk,
                           char *reason);
    int (*batch_find)(store_t *store, const char *nonce, const char *batch_id, store_batch *out,
                      char *reason);
    int (*batch_bind)(store_t *store, const char *nonce, const char *batch_id, char *reason);
    int (*batch_set_status)(store_t *store, const char *nonce, const char *status,
                            char *reason);
    int (*batch_list)(store_t *store, const char *batch_id, store_batch **out, size_t *count,
                      char *reason);
    int (*report_put)(store_t *store, const char *nonce, const char *report, char *reason);
    int (*report_get)(store_t *store, const char *batch_id, char **report, char *reason);
    int (*inputs_put)(store_t *store, const char *nonce, int64_t part, const void *data,
                      size_t len, char *reason);
    int (*inputs_read)(store_t *store, const char *nonce,
                       int (*each)(void *ctx, const void *data, size_t len, char *reason),
                       void *ctx, char *reason);
    int (*items_claim)(store_t *store, const char *nonce, const bt_str *ids, size_t count,
                       claim_outcome *outcomes, char *reason);
    int (*items_delivered)(store_t *store, const char *nonce, const bt_str *ids, size_t count,
                           char *reason);
    int (*task_claim)(store_t *store, const char *nonce, bool provisional,
                      claim_outcome *outcome, char *reason);
    int (*task_delivered)(store_t *store, const char *nonce, bool provisional, char *reason);
    int (*run_release)(store_t *store, char *reason);
    int (*exported_count)(store_t *store, const char *nonce, uint64_t *count, char *reason);
    int (*schema_version)(store_t *store, int64_t *version, char *reason);
} store_ops;

/* The part of every backend's handle that store.c reads. */
struct store {
    const store_ops *ops;         /* the backend's functions */
    int64_t opened_version;       /* the schema version store_open found, before its
                                     migration (0: a store it created); set by the backend */
};

/* The backends' openers (store_open, store_open_readonly for their schemes). */
store_t *sqlite_store_open(const char *url, bool create, char *reason);
store_t *sqlite_store_open_readonly(const char *url, bool *older, char *reason);
store_t *pg_store_open(const char *url, bool create, char *reason);
store_t *pg_store_open_readonly(const char *url, bool *older, char *reason);

/* Fill claim from a spool row's columns: its storage gets a copy of body, protocol and
 * parent (NULL: none), and claim->chunk points into it. */
void spool_claim_fill(spool_claim *claim, int64_t id, const char *protocol,
                      uint64_t span_count, const void *body, size_t body_len,
                      const char *parent);

/* The columns a backend reads a store_batch from, in this order (b: batches, e: exported). */
#define STORE_BATCH_COLUMNS                                                                 \
    "b.nonce, b.provider, b.trace_id, b.parent_span_id, b.trace_flags, b.start_ns,"         \
    " b.request_count, b.input_digest, b.context, b.batch_id, b.endpoint, b.models,"        \
    " b.inputs_kept, b.created_ns, b.batch_status, b.task_exported,"                        \
    " b.items_delivered,"                                                                   \
    " b.task_provisional"

/* The batches (nonces) a run claimed items of: store_run_release gives them back batch by
 * batch. */
typedef struct claimed_batches {
    char (*nonces)[33];       /* owned */
    size_t count;
} claimed_batches;

/* Add nonce to claimed when it is not there yet. */
void claimed_batches_note(claimed_batches *claimed, const char *nonce);

/* ---- runs (store.h, "runs and claims"): who a process is, whether one is alive ---------- */

/* This process, as a runs table names it. */
typedef struct run_identity {
    char host[256];           /* gethostname */
    char boot_id[40];         /* /proc/sys/kernel/random/boot_id; "" when unknown */
    int64_t pid;
    int64_t start_ticks;      /* /proc/self/stat field 22; -1 when unknown */
} run_identity;

/* Fill identity with this process's names. */
void run_identity_of_self(run_identity *identity);

/* A runs row as read back: the run's names and lease. */
typedef struct run_row {
    const char *host;
    const char *boot_id;
    int64_t pid;
    int64_t start_ticks;
    int64_t lease_until_ns;
} run_row;

/* Whether the run of row is dead, seen from me at now: on this host and boot, no process
 * with its pid and start time (the lease does not matter: a live process keeps its claims
 * however long it waits); the machine restarted since; elsewhere, or when the process
 * cannot be looked at, its lease ran out. */
bool run_row_dead(const run_identity *me, const run_row *row, int64_t now_ns);

/* Runs whose liveness a handle remembers (a dead run stays dead; one seen alive is asked
 * again after RUN_CHECK_TTL_NS). */
enum { RUN_CACHE_MAX = 16 };
#define RUN_CHECK_TTL_NS INT64_C(1000000000)

/* What a handle found about another run. */
typedef struct run_seen {
    int64_t id;
    bool dead;
    int64_t checked_ns;       /* when (time_now_ns) */
} run_seen;

/* A handle's memory of other runs. */
typedef struct run_cache {
    run_seen seen[RUN_CACHE_MAX];
    size_t count;
} run_cache;

/* 1 with *dead when cache knows run_id's fate well enough at now, else 0. */
int run_cache_lookup(const run_cache *cache, int64_t run_id, int64_t now_ns, bool *dead);
/* Remember what was found about run_id at now. */
void run_cache_note(run_cache *cache, int64_t run_id, bool dead, int64_t now_ns);

#endif
