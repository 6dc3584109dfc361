#include "util/hash.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>

/* Abort on a libcrypto failure: SHA-256 cannot fail short of memory exhaustion. */
static void crypto_failed(void) {
    fprintf(stderr, "batchtrace: SHA-256 failed in libcrypto\n");
    abort();
}

void sha256_begin(sha256_ctx *ctx) {
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) crypto_failed();
    ctx->evp = md;
}

void sha256_update(sha256_ctx *ctx, const void *bytes, size_t len) {
    if (len && EVP_DigestUpdate(ctx->evp, bytes, len) != 1) crypto_failed();
}

void sha256_end(sha256_ctx *ctx, uint8_t out[SHA256_LEN]) {
    unsigned int out_len = 0;
    if (EVP_DigestFinal_ex(ctx->evp, out, &out_len) != 1 || out_len != SHA256_LEN)
        crypto_failed();
    EVP_MD_CTX_free(ctx->evp);
    ctx->evp = NULL;
}

void sha256(const void *bytes, size_t len, uint8_t out[SHA256_LEN]) {
    unsigned int out_len = 0;
    if (EVP_Digest(bytes, len, out, &out_len, EVP_sha256(), NULL) != 1) crypto_failed();
}

void hex_encode(const uint8_t *bytes, size_t len, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * len] = '\0';
}

/* Value of one hex digit, or -1. */
static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool hex_decode(const char *hex, size_t hex_len, uint8_t *bytes, size_t len) {
    if (hex_len != 2 * len) return false;
    for (size_t i = 0; i < len; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        bytes[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

bool bytes_all_zero(const uint8_t *bytes, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (bytes[i]) return false;
    return true;
}
