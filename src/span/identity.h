/* Deterministic identities (docs/design.md "Identities"): a batch's nonce, and the trace and
 * span ids derived from it with SHA-256, so that collecting twice yields the same spans. */
#ifndef BT_SPAN_IDENTITY_H
#define BT_SPAN_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>

#include "util/hash.h"
#include "util/str.h"

#define NONCE_LEN 16

/* The nonce of a batch known by its provider and batch id. */
void identity_nonce_from_batch(const char *provider, bt_str batch_id, uint8_t nonce[NONCE_LEN]);
/* The nonce of a batch known only by the digest of its custom_ids. */
void identity_nonce_from_digest(const char *provider, const uint8_t digest[SHA256_LEN],
                                uint8_t nonce[NONCE_LEN]);
/* The trace id a nonce implies when no parent or trace id is given. */
void identity_trace_id(const uint8_t nonce[NONCE_LEN], uint8_t trace_id[16]);
/* The span id of role ("task", "submit", "item") and custom_id (empty for task/submit). */
void identity_span_id(const uint8_t nonce[NONCE_LEN], const char *role, bt_str custom_id,
                      uint8_t span_id[8]);

/* A parsed W3C traceparent ("00-<32 hex>-<16 hex>-<2 hex>"). */
typedef struct trace_parent {
    uint8_t trace_id[16];
    uint8_t span_id[8];
    uint8_t flags;
} trace_parent;

/* Parse a traceparent; false when malformed (bad version, length, hex, or all-zero ids). */
bool identity_parse_traceparent(const char *text, trace_parent *out);

#endif
