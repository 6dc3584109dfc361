/* The state store: what batchtrace keeps between runs, behind one opaque handle so that a
 * second backend (PostgreSQL, for submit and collect on different machines) can follow.
 * It holds the spool (OTLP requests that could not be delivered, kept until `batchtrace
 * flush` delivers them) and the lifecycle of batches (docs/design.md, "Lifecycle"): the key
 * that signs context tokens, each started batch's identity and compressed inputs, and what
 * collect has exported of it, so that collecting again sends only what was not sent.
 *
 * A store is named by a URL: "sqlite:PATH" (sqlite.c), or a PostgreSQL server
 * "postgres://USER@HOST:PORT/DATABASE?schema=NAME" ("postgresql://" too, or
 * "postgres:KEY=VALUE ..." in libpq's conninfo form; postgres.c). Without one, the
 * BATCHTRACE_STORE variable, else sqlite:$XDG_STATE_HOME/batchtrace/state.db, else
 * sqlite:$HOME/.local/state/batchtrace/state.db. Directories the store creates are mode
 * 0700 and the database file 0600. Two processes may use one store at the same time.
 *
 * A SQLite store is marked as batchtrace's with PRAGMA application_id
 * STORE_SQLITE_APPLICATION_ID. Opening refuses, before writing a byte, a file that is not
 * private (mode 0600: the store holds the signing key and the prompts), a symbolic link
 * (the file or its -wal/-shm), and any other application's database; an unmarked store an
 * earlier batchtrace made is adopted (marked by its next migration). */
#ifndef BT_STORE_STORE_H
#define BT_STORE_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/reason.h"
#include "util/str.h"

typedef struct store store_t;

/* The store URL to use: url when given, else BATCHTRACE_STORE, else the default path. The
 * result is malloc'd ("sqlite:/home/me/.local/state/batchtrace/state.db"). NULL with
 * reason when url (or the variable) is not a URL batchtrace can use, or no default can be
 * made (neither XDG_STATE_HOME nor HOME set). */
char *store_resolve_url(const char *url, char *reason);
/* Whether the caller named a store (url, else BATCHTRACE_STORE) rather than leaving it to
 * the default path: a named store is the user's choice, checked up front by every command. */
bool store_url_named(const char *url);
/* Check, without opening it, the store the caller named (url, else BATCHTRACE_STORE): 0
 * when it is a URL batchtrace can open or none is named, -1 with reason otherwise (a usage
 * error: an unsupported scheme, not a URL, sqlite: without a path). */
int store_check_named_url(const char *url, char *reason);

/* batchtrace's PRAGMA application_id: ASCII "BTRC" (0x42545243, 1112822339). */
#define STORE_SQLITE_APPLICATION_ID 0x42545243
/* What a function returns when another process held the store's lock past the busy
 * timeout (10 s), or the wait was cancelled (store_set_cancel); reason says who holds it. */
#define STORE_LOCKED (-3)

/* Open (creating it and its directories when create is true) the store at url, a
 * resolved URL, and bring its schema up to date. NULL with reason on failure; when create
 * is false and the store does not exist, NULL with reason "" (nothing stored there yet). */
store_t *store_open(const char *url, bool create, char *reason);
/* Open the store at url for reading only (`status`): no WAL switch, no migration, no file
 * created (not even SQLite's -wal and -shm). NULL with reason "" when nothing is stored
 * there (no file, an empty one, an empty database); NULL with reason when the file cannot
 * be used or its schema is not this batchtrace's version (*older is then true when it is
 * batchtrace's store at an older version: store_open upgrades it). Reads then work; writes
 * fail. */
store_t *store_open_readonly(const char *url, bool *older, char *reason);
/* Whether what a store_open_readonly handle read is a consistent snapshot: false when a
 * writer started on the file meanwhile (without a -wal the file is read as immutable);
 * then close it and read again. */
bool store_read_stable(const store_t *store);
/* The page cache each SQLite store opened from now on keeps, in KiB (the default 32768;
 * PostgreSQL ignores it). Process-wide: a long-lived process that collects beside other
 * work (`batchtrace proxy`) sets a smaller one to bound its peak memory. */
void store_set_sqlite_cache_kib(unsigned kib);
/* Give the busy handler a check it calls while it waits for another process's lock: when
 * it returns non-zero the wait ends at once and the statement fails with STORE_LOCKED. */
void store_set_cancel(store_t *store, int (*cancelled)(void));

/* Group the writes that follow into one transaction (BEGIN IMMEDIATE), so that all of them
 * last or none: store_inputs_put, store_batch_put and store_batch_put_ahead (the other
 * functions run their own transactions and must not be called inside one). 0, or -1 with
 * reason. */
int store_begin(store_t *store, char *reason);
/* Commit the transaction store_begin opened. 0, or -1 with reason (then rolled back). */
int store_commit(store_t *store, char *reason);
/* Roll back the transaction store_begin opened (nothing of it lasts). */
void store_rollback(store_t *store);
/* Close the store (NULL-safe). */
void store_close(store_t *store);
/* The store's URL, for messages: as store_shown_url shows it (no password). */
const char *store_url(const store_t *store);
/* How a store URL is shown in any message, summary or --json (malloc'd): a PostgreSQL
 * URL's password (user:PASSWORD@, password=...) replaced by "<redacted>"; other URLs as
 * they are. */
char *store_shown_url(const char *url);
/* The schema version the store is at (after store_open: this batchtrace's). 0, or -1. */
int store_schema_version(store_t *store, int64_t *version, char *reason);
/* The schema version the store was at when store_open opened it, before the migration that
 * brought it up to date (0: the store was created, or empty). `batchtrace store migrate`
 * prints it with store_schema_version's. */
int64_t store_opened_version(const store_t *store);

/* One spooled request. */
typedef struct spool_chunk {
    int64_t id;                   /* the store's key (set by store_spool_put, read by the rest) */
    const char *protocol;         /* "http/protobuf" | "http/json": how body is encoded */
    uint64_t span_count;          /* spans in body */
    const void *body;             /* an encoded ExportTraceServiceRequest, uncompressed */
    size_t body_len;
    const char *destination;      /* where it was going, for a person (no credentials) */
    const char *braintrust_parent;/* the x-bt-parent it was sent with, or NULL */
    const char *reason;           /* why it could not be delivered */
} spool_chunk;

/* Write one chunk to the spool in one transaction (all of it or nothing); chunk->id gets
 * its key. 0, STORE_LOCKED with reason when the store stayed locked, or -1 with reason.
 * Nothing in a chunk is a secret: header values are never
 * stored. */
int store_spool_put(store_t *store, spool_chunk *chunk, char *reason);

/* Count the spooled chunks and their spans. 0, or -1 with reason. */
int store_spool_count(store_t *store, uint64_t *chunks, uint64_t *spans, char *reason);
/* Count, at one instant, the spooled spans that wait (no one holds them) and those another
 * live run holds now (a flush sending them, a start sending its submit span). 0, or -1
 * with reason. */
int store_spool_tally(store_t *store, uint64_t *waiting_spans, uint64_t *held_spans,
                      char *reason);

/* A spooled chunk taken for sending, with the storage chunk's pointers borrow. */
typedef struct spool_claim {
    spool_chunk chunk;            /* id, protocol, span_count, body, braintrust_parent */
    buf_t storage;                /* owns the bytes the chunk points into */
} spool_claim;

#define SPOOL_CLAIM_INIT {{0, NULL, 0, NULL, 0, NULL, NULL, NULL}, BUF_INIT}

/* Take the oldest chunk with an id above after_id that no live run holds, and hold it for
 * this run (see "Runs" below): another run skips it while this one lives, so two flushes
 * never send one chunk twice, and a holder that died (killed, crashed) is taken over at
 * once. 1 with *claim filled, 0 when there is none left, -1 with reason. */
int store_spool_claim(store_t *store, int64_t after_id, spool_claim *claim, char *reason);
/* Delete a chunk the server accepted. 0, STORE_LOCKED or -1 with reason. */
int store_spool_delete(store_t *store, int64_t id, char *reason);
/* Replace the claimed chunk id by chunks (the parts of it that were not delivered, each
 * chunk's id set) in one transaction: all of it or nothing. With count 0 it is a delete.
 * 0, or -1 with reason (then the chunk stays as it was). */
int store_spool_replace(store_t *store, int64_t id, spool_chunk *chunks, size_t count,
                        char *reason);
/* Give back a claimed chunk that could not be delivered, noting why; it stays spooled.
 * 0, STORE_LOCKED or -1 with reason. */
int store_spool_release(store_t *store, int64_t id, const char *why, char *reason);
/* Free what a claim holds (the claim can be reused). */
void spool_claim_free(spool_claim *claim);

/* ---- the lifecycle: signing key, batches, what was exported ---------------------------- */

/* What a function returns when a batch id is already bound to another batch. */
#define STORE_CONFLICT (-2)
/* Bytes of the signing key the store generates. */
#define STORE_KEY_LEN 32

/* The key that signs context tokens when BATCHTRACE_SIGNING_KEY is not set: 32 random bytes
 * generated on first use and kept (two processes racing get the same one). 0, or -1 with
 * reason. */
int store_signing_key(store_t *store, uint8_t key[STORE_KEY_LEN], char *reason);

/* One batch the store knows: its identity (the context token's claims) and its progress. */
typedef struct store_batch {
    char nonce[33];               /* hex: the key */
    char provider[16];            /* "openai" | "anthropic" */
    char trace_id[33];            /* hex */
    char parent_span_id[17];      /* hex; "" when the task is a root span */
    unsigned trace_flags;         /* W3C trace flags */
    int64_t start_ns;             /* when start ran (unix ns) */
    uint64_t request_count;       /* requests in the inputs */
    char input_digest[65];        /* hex SHA-256 over the sorted custom_ids */
    char *context;                /* the signed token; owned */
    char *batch_id;               /* the provider's batch id; NULL until bound; owned */
    char *endpoint;               /* e.g. "/v1/chat/completions"; NULL when unknown; owned */
    char *models;                 /* the request models, comma-separated; NULL; owned */
    bool inputs_kept;             /* a compressed copy of the inputs is stored */
    int64_t created_ns;           /* when the record was made */
    char *batch_status;           /* the provider's status a collect last saw; NULL; owned */
    bool task_exported;           /* a collect exported the task span */
    bool task_provisional;        /* ... without the batch object: a collect with it sends
                                   * the task once more (docs/design.md "Outcomes") */
    uint64_t items_exported;      /* item spans delivered (read by find and list) */
} store_batch;

/* Free the strings a store_batch owns (the struct can be reused). */
void store_batch_free(store_batch *batch);

/* Record a batch (its nonce must be new). 1 when recorded, 0 when a batch with this nonce
 * was already there (left as it is), STORE_CONFLICT with reason when its batch_id is bound
 * to another batch, -1 with reason on failure. */
int store_batch_put(store_t *store, const store_batch *batch, char *reason);
/* Record a batch as store_batch_put does and, in the same transaction, put chunk in the
 * spool held by this run (see "runs and claims"): a request written ahead of its sending
 * (start's submit span). The run deletes it once delivered or gives it back; when the run
 * dies first, flush takes it over. Returns as store_batch_put (chunk->id set on 1; on 0
 * nothing is written). Inside store_begin's transaction it joins that one (the caller
 * commits). */
int store_batch_put_ahead(store_t *store, const store_batch *batch, spool_chunk *chunk,
                          char *reason);
/* Find the batch with this nonce (hex) or, when nonce is NULL, bound to batch_id. 1 with
 * *out filled (free it with store_batch_free), 0 when there is none, -1 with reason. */
int store_batch_find(store_t *store, const char *nonce, const char *batch_id, store_batch *out,
                     char *reason);
/* Bind batch_id to the batch of nonce. 0 when bound (or already so), STORE_CONFLICT with
 * reason when batch_id is bound to another batch or this batch to another id, -1 with
 * reason on failure. */
int store_batch_bind(store_t *store, const char *nonce, const char *batch_id, char *reason);
/* Note the provider's status a collect saw. 0, or -1 with reason. */
int store_batch_set_status(store_t *store, const char *nonce, const char *status, char *reason);
/* Every batch (or the one bound to batch_id, when not NULL), oldest first: *out is a
 * malloc'd array of *count (free each with store_batch_free, then the array). 0, or -1. */
int store_batch_list(store_t *store, const char *batch_id, store_batch **out, size_t *count,
                     char *reason);

/* Keep report (the JSON object `batchtrace report --json` prints) as the batch's report,
 * replacing the one an earlier collect kept. 0, or -1 with reason. */
int store_report_put(store_t *store, const char *nonce, const char *report, char *reason);
/* The report a collect kept for the batch bound to batch_id: 1 with *report malloc'd, 0 when
 * there is none, -1 with reason. Works on a read-only handle. */
int store_report_get(store_t *store, const char *batch_id, char **report, char *reason);

/* Keep a part of the batch's compressed inputs (parts are numbered from 0 and read back in
 * order). 0, or -1 with reason. */
int store_inputs_put(store_t *store, const char *nonce, int64_t part, const void *data,
                     size_t len, char *reason);
/* Hand each stored part of the batch's inputs, in order, to each (which returns 0, or -1
 * with reason to stop). 0, or -1 with reason. */
int store_inputs_read(store_t *store, const char *nonce,
                      int (*each)(void *ctx, const void *data, size_t len, char *reason),
                      void *ctx, char *reason);

/* ---- runs and claims (docs/design.md, "Crash safety") ---------------------------------
 * A claim is a lease held by a run: the store handle that made it, named in the store by
 * its process (host name, boot id, pid and the process's start time) and a lease expiry
 * that the run renews as it works. A claim whose run is dead is taken over at once: on the
 * same host and boot, dead means no process with that pid and start time; on another host
 * (a shared store) the lease running out decides. Claims become "delivered" only through
 * the *_delivered calls, which the caller makes once the exporter accepted the spans or
 * they are durably in the spool. The run registers itself with its first claim; closing
 * the store gives back what it still holds (store_run_release). */

/* How long a run's lease lasts, and how often a working run renews it (at its next claim,
 * mark or spool hold once this much time has passed since the last renewal). */
#define STORE_RUN_LEASE_MS 120000
#define STORE_RUN_RENEW_MS 30000

/* What a claim found. */
typedef enum claim_outcome {
    CLAIM_WON,                    /* this run holds it now (it was free, ours, or its
                                     holder was dead): send it */
    CLAIM_DELIVERED,              /* a run delivered it before: do not send it again */
    CLAIM_HELD,                   /* another run that is alive holds it: it sends it */
} claim_outcome;

/* Claim custom_ids of the batch of nonce for this run, in one transaction: outcomes[i]
 * says what became of ids[i] (an id given twice is won both times). 0, or -1 with reason
 * (then nothing was claimed). */
int store_items_claim(store_t *store, const char *nonce, const bt_str *ids, size_t count,
                      claim_outcome *outcomes, char *reason);
/* Record that the spans of ids were delivered (or durably spooled), in one transaction.
 * 0, or -1 with reason (the claims then stay this run's, given back at its end). */
int store_items_delivered(store_t *store, const char *nonce, const bt_str *ids, size_t count,
                          char *reason);
/* Claim the batch's task span for this run. 0 with *outcome, or -1 with reason. A task
 * delivered provisionally (without the batch object) counts as delivered for a provisional
 * claim, and as free for a final one, which sends it once more (docs/design.md
 * "Outcomes"). */
int store_task_claim(store_t *store, const char *nonce, bool provisional,
                     claim_outcome *outcome, char *reason);
/* Record that the task span was delivered (or durably spooled), provisionally or final.
 * 0, or -1 with reason. */
int store_task_delivered(store_t *store, const char *nonce, bool provisional, char *reason);
/* Give back everything this run holds and did not deliver: item and task claims, spool
 * leases. Called by store_close too; 0, or -1 with reason (what stays held is taken over
 * once the process is gone). */
int store_run_release(store_t *store, char *reason);
/* How many item spans of the batch were delivered. 0, or -1 with reason. */
int store_exported_count(store_t *store, const char *nonce, uint64_t *count, char *reason);

#endif
