/* SHA-256 (OpenSSL libcrypto) and hex encoding. */
#ifndef BT_UTIL_HASH_H
#define BT_UTIL_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

/* An incremental SHA-256. */
typedef struct sha256_ctx {
    void *evp;  /* OpenSSL EVP_MD_CTX, owned */
} sha256_ctx;

void sha256_begin(sha256_ctx *ctx);
void sha256_update(sha256_ctx *ctx, const void *bytes, size_t len);
/* Write the digest and release the context. */
void sha256_end(sha256_ctx *ctx, uint8_t out[SHA256_LEN]);
/* One-shot digest. */
void sha256(const void *bytes, size_t len, uint8_t out[SHA256_LEN]);

/* FNV-1a, 32 bits, of len bytes (a hash table's, not a digest: short keys, no defence). */
uint32_t fnv1a32(const void *bytes, size_t len);

/* Lowercase hex of len bytes into out (2*len chars + NUL). */
void hex_encode(const uint8_t *bytes, size_t len, char *out);
/* Parse exactly 2*len hex digits (either case) into bytes; false on bad input. */
bool hex_decode(const char *hex, size_t hex_len, uint8_t *bytes, size_t len);
/* True when all len bytes are zero. */
bool bytes_all_zero(const uint8_t *bytes, size_t len);

#endif
