#include "batch/context.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/provider.h"
#include "util/base64.h"
#include "util/reason.h"

enum {
    PAYLOAD_LEN = 1 + 16 + 8 + 1 + 16 + 8 + 8 + SHA256_LEN + 1,
    MAC_LEN = 32,
};

/* The provider's number in a token: its position in the registry (registry.def), from 1
 * (openai 1, anthropic 2). */
static uint8_t provider_number(const char *name) {
    for (size_t i = 0; i < provider_count(); i++)
        if (strcmp(provider_at(i)->name, name) == 0) return (uint8_t)(i + 1);
    return 1; /* claims name a registered provider: start took it from the registry */
}

/* HMAC-SHA256 over the token prefix and the payload. */
static void sign(const uint8_t payload[PAYLOAD_LEN], const uint8_t *key, size_t key_len,
                 uint8_t mac[MAC_LEN]) {
    uint8_t message[sizeof CONTEXT_TOKEN_PREFIX - 1 + PAYLOAD_LEN];
    memcpy(message, CONTEXT_TOKEN_PREFIX, sizeof CONTEXT_TOKEN_PREFIX - 1);
    memcpy(message + sizeof CONTEXT_TOKEN_PREFIX - 1, payload, PAYLOAD_LEN);
    unsigned int mac_len = 0;
    static const uint8_t empty_key[1] = {0};
    if (!HMAC(EVP_sha256(), key_len ? key : empty_key, (int)key_len, message, sizeof message,
              mac, &mac_len) ||
        mac_len != MAC_LEN) {
        fprintf(stderr, "batchtrace: HMAC-SHA256 failed in libcrypto\n");
        abort();
    }
}

/* Append v as 8 big-endian bytes at p. */
static void put_u64(uint8_t *p, uint64_t v) {
    for (int i = 7; i >= 0; i--, v >>= 8) p[i] = (uint8_t)v;
}

/* Read 8 big-endian bytes at p. */
static uint64_t get_u64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | p[i];
    return v;
}

void context_token_encode(const context_claims *claims, const uint8_t *key, size_t key_len,
                          char out[CONTEXT_TOKEN_MAX + 1]) {
    uint8_t payload[PAYLOAD_LEN] = {0};
    uint8_t *p = payload;
    *p++ = provider_number(claims->provider);
    memcpy(p, claims->trace_id, 16), p += 16;
    if (claims->has_parent) memcpy(p, claims->parent_span_id, 8);
    p += 8;
    *p++ = claims->trace_flags;
    memcpy(p, claims->nonce, 16), p += 16;
    put_u64(p, (uint64_t)claims->start_ns), p += 8;
    put_u64(p, claims->request_count), p += 8;
    memcpy(p, claims->input_digest, SHA256_LEN), p += SHA256_LEN;
    *p = 0; /* reserved */
    uint8_t mac[MAC_LEN];
    sign(payload, key, key_len, mac);
    size_t o = sizeof CONTEXT_TOKEN_PREFIX - 1;
    memcpy(out, CONTEXT_TOKEN_PREFIX, o);
    base64url_encode(payload, PAYLOAD_LEN, out + o);
    o += base64url_encoded_len(PAYLOAD_LEN);
    out[o++] = '.';
    base64url_encode(mac, MAC_LEN, out + o);
}

int context_token_verify(const char *token, const uint8_t *key, size_t key_len,
                         context_claims *claims, char *reason) {
    size_t prefix_len = sizeof CONTEXT_TOKEN_PREFIX - 1;
    if (!token || strncmp(token, CONTEXT_TOKEN_PREFIX, prefix_len) != 0)
        return fail(reason, "not a batchtrace context token (expected the prefix %s)",
                    CONTEXT_TOKEN_PREFIX);
    size_t len = strnlen(token, CONTEXT_TOKEN_MAX + 1);
    if (len > CONTEXT_TOKEN_MAX) return fail(reason, "context token longer than %d characters",
                                             CONTEXT_TOKEN_MAX);
    const char *body = token + prefix_len;
    const char *dot = strchr(body, '.');
    uint8_t payload[PAYLOAD_LEN + 4], mac[MAC_LEN + 4];
    size_t payload_len = 0, mac_len = 0;
    if (!dot || !base64url_decode(body, (size_t)(dot - body), payload, sizeof payload,
                                  &payload_len) ||
        !base64url_decode(dot + 1, strlen(dot + 1), mac, sizeof mac, &mac_len) ||
        payload_len != PAYLOAD_LEN || mac_len != MAC_LEN)
        return fail(reason, "malformed context token");
    uint8_t expected[MAC_LEN];
    sign(payload, key, key_len, expected);
    if (CRYPTO_memcmp(expected, mac, MAC_LEN) != 0)
        return fail(reason, "context token signature does not match: signed under another key, "
                            "or altered");
    const uint8_t *p = payload;
    const provider_ops *provider = *p ? provider_at((size_t)*p - 1) : NULL;
    p++;
    if (!provider || payload[PAYLOAD_LEN - 1])
        return fail(reason, "context token of an unknown kind (a newer batchtrace?)");
    claims->provider = provider->name;
    memcpy(claims->trace_id, p, 16), p += 16;
    memcpy(claims->parent_span_id, p, 8), p += 8;
    claims->has_parent = !bytes_all_zero(claims->parent_span_id, 8);
    claims->trace_flags = *p++;
    memcpy(claims->nonce, p, 16), p += 16;
    claims->start_ns = (int64_t)get_u64(p), p += 8;
    claims->request_count = get_u64(p), p += 8;
    memcpy(claims->input_digest, p, SHA256_LEN);
    return 0;
}
