/* The context token (SPEC section 7): what `start` hands to the caller and `collect` reads
 * back days later, so that the results land in the trace that submitted the batch.
 *
 *   btx1.<base64url payload>.<base64url HMAC-SHA256>
 *
 * The payload is 91 bytes: provider (1), trace id (16), parent span id (8, zero when the
 * task is a root), trace flags (1), nonce (16), start time in unix ns (8, big-endian),
 * request count (8, big-endian), input digest (32: SHA-256 over the sorted custom_ids,
 * docs/design.md), and a reserved zero byte. The MAC covers "btx1." and the payload bytes.
 * The whole token is 171 characters: well under the 512 an OpenAI metadata value allows.
 * It carries no prompt, output or credential. */
#ifndef BT_BATCH_CONTEXT_H
#define BT_BATCH_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/hash.h"

#define CONTEXT_TOKEN_PREFIX "btx1."
#define CONTEXT_TOKEN_MAX 512

typedef struct context_claims {
    const char *provider;          /* static: "openai" | "anthropic" */
    uint8_t trace_id[16];
    bool has_parent;               /* parent_span_id is the caller's span */
    uint8_t parent_span_id[8];
    uint8_t trace_flags;
    uint8_t nonce[16];
    int64_t start_ns;              /* when start ran */
    uint64_t request_count;
    uint8_t input_digest[SHA256_LEN];
} context_claims;

/* Write the signed token for claims into out (CONTEXT_TOKEN_MAX + 1 bytes). */
void context_token_encode(const context_claims *claims, const uint8_t *key, size_t key_len,
                          char out[CONTEXT_TOKEN_MAX + 1]);
/* Verify token under key (constant-time MAC comparison) and read its claims. -1 with a
 * reason ("not a batchtrace context token", "signature does not match: signed under another
 * key or altered") otherwise; claims are then untouched. */
int context_token_verify(const char *token, const uint8_t *key, size_t key_len,
                         context_claims *claims, char *reason);

#endif
