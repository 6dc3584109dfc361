#include "span/identity.h"

#include <string.h>

void identity_nonce_from_batch(const char *provider, bt_str batch_id, uint8_t nonce[NONCE_LEN]) {
    uint8_t digest[SHA256_LEN];
    sha256_ctx ctx;
    sha256_begin(&ctx);
    sha256_update(&ctx, "batchtrace.nonce", sizeof "batchtrace.nonce"); /* with its NUL */
    sha256_update(&ctx, provider, strlen(provider));
    sha256_update(&ctx, "\0batch", 7);                                     /* "\0batch\0" */
    sha256_update(&ctx, batch_id.ptr, batch_id.len);
    sha256_end(&ctx, digest);
    memcpy(nonce, digest, NONCE_LEN);
}

void identity_nonce_from_digest(const char *provider, const uint8_t input_digest[SHA256_LEN],
                                uint8_t nonce[NONCE_LEN]) {
    uint8_t digest[SHA256_LEN];
    sha256_ctx ctx;
    sha256_begin(&ctx);
    sha256_update(&ctx, "batchtrace.nonce", sizeof "batchtrace.nonce");
    sha256_update(&ctx, provider, strlen(provider));
    sha256_update(&ctx, "\0inputs", 8);                                    /* "\0inputs\0" */
    sha256_update(&ctx, input_digest, SHA256_LEN);
    sha256_end(&ctx, digest);
    memcpy(nonce, digest, NONCE_LEN);
}

void identity_trace_id(const uint8_t nonce[NONCE_LEN], uint8_t trace_id[16]) {
    uint8_t digest[SHA256_LEN];
    sha256_ctx ctx;
    sha256_begin(&ctx);
    sha256_update(&ctx, nonce, NONCE_LEN);
    sha256_update(&ctx, "trace", 5);
    sha256_end(&ctx, digest);
    memcpy(trace_id, digest, 16);
    if (bytes_all_zero(trace_id, 16)) trace_id[15] = 1;
}

void identity_span_id(const uint8_t nonce[NONCE_LEN], const char *role, bt_str custom_id,
                      uint8_t span_id[8]) {
    uint8_t digest[SHA256_LEN];
    sha256_ctx ctx;
    sha256_begin(&ctx);
    sha256_update(&ctx, nonce, NONCE_LEN);
    sha256_update(&ctx, role, strlen(role) + 1); /* the role and its NUL separator */
    sha256_update(&ctx, custom_id.ptr, custom_id.len);
    sha256_end(&ctx, digest);
    memcpy(span_id, digest, 8);
    if (bytes_all_zero(span_id, 8)) span_id[7] = 1;
}

bool identity_parse_traceparent(const char *text, trace_parent *out) {
    /* version "00" only: later versions may append fields, which we do not understand */
    if (!text || strlen(text) != 55 || text[2] != '-' || text[35] != '-' || text[52] != '-')
        return false;
    uint8_t version;
    if (!hex_decode(text, 2, &version, 1) || version != 0) return false;
    if (!hex_decode(text + 3, 32, out->trace_id, 16)) return false;
    if (!hex_decode(text + 36, 16, out->span_id, 8)) return false;
    if (!hex_decode(text + 53, 2, &out->flags, 1)) return false;
    return !bytes_all_zero(out->trace_id, 16) && !bytes_all_zero(out->span_id, 8);
}
