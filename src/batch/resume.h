/* Resumable context (docs/design.md, "Lifecycle"): what start leaves in the store and
 * collect finds again. The signing key of context tokens, the compressed copy of a batch's
 * inputs, and the search for a collect run's context: a token from --context, else the
 * OpenAI batch object's metadata.batchtrace_ctx, else the batch id looked up in the store.
 * A context that fails verification, or was made for other inputs or another provider, is
 * reported and not used: the collection falls back to collect-only. */
#ifndef BT_BATCH_RESUME_H
#define BT_BATCH_RESUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch/context.h"
#include "batch/diag.h"
#include "source/source.h"
#include "span/identity.h"
#include "store/store.h"

/* The key that signs and verifies context tokens. */
typedef struct signing_key {
    const uint8_t *bytes;                /* BATCHTRACE_SIGNING_KEY's bytes, or stored */
    size_t len;
    uint8_t stored[STORE_KEY_LEN];       /* the store's key, when that is the one */
} signing_key;

/* BATCHTRACE_SIGNING_KEY's bytes when it is set and not empty, else the store's key
 * (generated on first use). 0, or -1 with reason. */
int resume_signing_key(store_t *store, signing_key *key, char *reason);

/* A store record of claims (hex fields; the token and the other strings are copied, free
 * the record with store_batch_free). */
void resume_record_from_claims(const context_claims *claims, const char *token,
                               store_batch *out);
/* The claims a store record holds. -1 when a field is not what the store writes. */
int resume_claims_from_record(const store_batch *record, context_claims *out);

/* Keep a zlib-compressed copy of src's bytes as the inputs of the batch of nonce (in parts
 * of about 1 MiB, so memory stays small whatever the size). 0, or -1 with reason. */
int resume_keep_inputs(store_t *store, const char *nonce, const source_t *src, char *reason);
/* The inputs kept for nonce, decompressed into a spooled source named name (an anonymous
 * temporary file: nothing is left behind whatever ends the process). 0, or -1 with reason;
 * close *out with source_close either way. */
int resume_restore_inputs(store_t *store, const char *nonce, const char *name, source_t *out,
                          char *reason);

/* Where a collect run may find its context. */
typedef struct resume_request {
    const char *context_token;           /* --context, or NULL */
    const char *metadata_token;          /* the batch object's metadata.batchtrace_ctx, or NULL */
    const char *batch_id;                /* --batch-id, else the batch object's id, or NULL */
    bool batch_id_from_flag;             /* batch_id came from --batch-id */
    const char *store_url;               /* --store, or NULL */
    int64_t now_ns;                      /* the run's clock (BATCHTRACE_NOW pins it): when a
                                            batch this store never saw is recorded */
} resume_request;

/* The context a collect run uses. */
typedef struct resume_context {
    bool active;                         /* a verified context is in use */
    context_claims claims;               /* its identity */
    char nonce[33];                      /* claims.nonce in hex */
    char source[160];                    /* where it came from, for messages */
    char *token;                         /* the verified token; owned (NULL from the store) */
    bool recorded;                       /* the store has the batch (record is filled) */
    store_batch record;                  /* the store's record, when recorded */
    store_t *store;                      /* owned: the store the user named, or the one a
                                            context needed; NULL when none was opened */
    int64_t now_ns;                      /* the run's clock, for records it makes */
} resume_context;

/* Find the context (see the top of this file). Tokens that fail verification are reported
 * through diags and not used. 0 (context->active says whether one was found), or -1 with
 * reason when the store cannot be used. */
int resume_find(resume_context *context, const resume_request *request, diag_sink *diags,
                char *reason);
/* Report why the context is not used ("it was made for other inputs") and drop it. */
void resume_drop(resume_context *context, diag_sink *diags, const char *why);
/* Make sure the store records the batch (from the token's claims when it never saw the
 * start) and binds batch_id (may be empty) to it. 0; STORE_CONFLICT with reason when the
 * batch id is bound to another context or the context to another batch id; -1 with reason
 * when the store fails. */
int resume_record(resume_context *context, const char *batch_id, char *reason);
/* Where an adopted batch's task goes when no start named it: under the caller's parent
 * (--parent, TRACEPARENT), as a root in an existing trace (--trace-id), else as a root in
 * the trace the nonce derives. A zeroed linkage is the last. */
typedef struct adopt_linkage {
    bool has_parent;
    trace_parent parent;
    bool has_trace_id;
    uint8_t trace_id[16];
} adopt_linkage;

/* Record in store a batch that no start or bind recorded (`batchtrace sync` found it in the
 * provider's list, or a collect-only run collects it), under the identities a collect-only
 * run gives it: the nonce from provider and batch_id, the trace of linkage (NULL: the one
 * the nonce derives), a task starting at created_ns, and an unknown input digest (all
 * zero: collect does not check it), bound to batch_id. *token gets the signed context
 * token (malloc'd). 0 (also when another process recorded it first); STORE_CONFLICT with
 * reason when batch_id is bound to another batch; -1 with reason. */
int resume_adopt_batch(store_t *store, const char *provider, const char *batch_id,
                       int64_t created_ns, uint64_t request_count,
                       const adopt_linkage *linkage, int64_t now_ns, char **token,
                       char *reason);
/* A collect-only run of batch_id with the store open in context and no context found: record the batch as resume_adopt_batch
 * does and make its record the run's context, so the items' exported marks are kept and no
 * other surface (`sync`, a later collect) sends them again. Does nothing without an open
 * store. 0; STORE_CONFLICT with reason (the context stays inactive); -1 with reason. */
int resume_adopt(resume_context *context, const char *provider, const char *batch_id,
                 int64_t created_ns, uint64_t request_count, const adopt_linkage *linkage,
                 char *reason);
/* Whether claims carry no input digest (a batch resume_adopt_batch recorded). */
bool resume_digest_unknown(const context_claims *claims);
/* Release what the context holds (the store closes). */
void resume_close(resume_context *context);

#endif
