/* The state store: what batchtrace keeps between runs, behind one opaque handle so that a
 * second backend (PostgreSQL, for submit and collect on different machines) can follow.
 * Today it holds the spool: OTLP requests that could not be delivered, kept until
 * `batchtrace flush` delivers them.
 *
 * A store is named by a URL: "sqlite:PATH" (the only backend so far). Without one, the
 * BATCHTRACE_STORE variable, else sqlite:$XDG_STATE_HOME/batchtrace/state.db, else
 * sqlite:$HOME/.local/state/batchtrace/state.db. Directories the store creates are mode
 * 0700 and the database file 0600. Two processes may use one store at the same time. */
#ifndef BT_STORE_STORE_H
#define BT_STORE_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/reason.h"

typedef struct store store_t;

/* The store URL to use: url when given, else BATCHTRACE_STORE, else the default path. The
 * result is malloc'd ("sqlite:/home/me/.local/state/batchtrace/state.db"). NULL with
 * reason when url (or the variable) is not a URL batchtrace can use, or no default can be
 * made (neither XDG_STATE_HOME nor HOME set). */
char *store_resolve_url(const char *url, char *reason);

/* Open (creating it and its directories when create is true) the store at url, a
 * resolved URL, and bring its schema up to date. NULL with reason on failure; when create
 * is false and the store does not exist, NULL with reason "" (nothing stored there yet). */
store_t *store_open(const char *url, bool create, char *reason);
/* Close the store (NULL-safe). */
void store_close(store_t *store);
/* The store's URL, for messages. */
const char *store_url(const store_t *store);

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
 * its key. 0, or -1 with reason. Nothing in a chunk is a secret: header values are never
 * stored. */
int store_spool_put(store_t *store, spool_chunk *chunk, char *reason);

/* Count the spooled chunks and their spans. 0, or -1 with reason. */
int store_spool_count(store_t *store, uint64_t *chunks, uint64_t *spans, char *reason);

/* A spooled chunk taken for sending, with the storage chunk's pointers borrow. */
typedef struct spool_claim {
    spool_chunk chunk;            /* id, protocol, span_count, body, braintrust_parent */
    buf_t storage;                /* owns the bytes the chunk points into */
} spool_claim;

#define SPOOL_CLAIM_INIT {{0, NULL, 0, NULL, 0, NULL, NULL, NULL}, BUF_INIT}

/* Take the oldest chunk with an id above after_id that no other process holds, and hold
 * it for lease_ms (another process skips it until then, so two flushes never send one
 * chunk twice; a crashed holder's lease simply runs out). 1 with *claim filled, 0 when
 * there is none left, -1 with reason. */
int store_spool_claim(store_t *store, int64_t after_id, int64_t lease_ms, spool_claim *claim,
                      char *reason);
/* Delete a chunk the server accepted. 0, or -1 with reason. */
int store_spool_delete(store_t *store, int64_t id, char *reason);
/* Give back a claimed chunk that could not be delivered, noting why; it stays spooled.
 * 0, or -1 with reason. */
int store_spool_release(store_t *store, int64_t id, const char *why, char *reason);
/* Free what a claim holds (the claim can be reused). */
void spool_claim_free(spool_claim *claim);

#endif
