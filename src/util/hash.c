/* SHA-256 through OpenSSL's EVP interface, made cheap for many short messages: the SHA-256
 * implementation is fetched from the default provider once per process (not implicitly on
 * every init, as EVP_sha256() does), and each thread keeps one spare digest context that
 * sha256_begin takes and sha256_end gives back, so that a digest allocates nothing once the
 * thread has made its first. */
#include "util/hash.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* Abort on a libcrypto failure: SHA-256 cannot fail short of memory exhaustion. */
static void crypto_failed(void) {
    fprintf(stderr, "batchtrace: SHA-256 failed in libcrypto\n");
    abort();
}

/* Set once by fetch_sha256 (under sha256_once) and read-only afterwards: the fetched
 * SHA-256 (held for the life of the process), and the key under which each thread keeps its
 * spare context (freed by free_spare_context when the thread exits). */
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_md;
static pthread_key_t spare_context_key;
static bool spare_context_key_ok;

/* Release a thread's spare context at the thread's exit. */
static void free_spare_context(void *context) { EVP_MD_CTX_free(context); }

/* Fetch SHA-256 and create the per-thread key (runs once, through pthread_once). Without the
 * key (the system's keys exhausted) every digest creates and frees its own context. */
static void fetch_sha256(void) {
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
    spare_context_key_ok = pthread_key_create(&spare_context_key, free_spare_context) == 0;
}

/* A digest context initialized for SHA-256: the calling thread's spare when it has one
 * (reinitialized in place), else a new one. The caller owns it until release_context. */
static EVP_MD_CTX *take_context(void) {
    if (pthread_once(&sha256_once, fetch_sha256) != 0 || !sha256_md) crypto_failed();
    EVP_MD_CTX *context = spare_context_key_ok ? pthread_getspecific(spare_context_key) : NULL;
    if (context) {
        pthread_setspecific(spare_context_key, NULL);
    } else {
        context = EVP_MD_CTX_new();
        if (!context) crypto_failed();
    }
    if (EVP_DigestInit_ex2(context, sha256_md, NULL) != 1) crypto_failed();
    return context;
}

/* Give context back: it becomes the thread's spare, or is freed when the thread already has
 * one (a digest begun while another was open on the same thread). */
static void release_context(EVP_MD_CTX *context) {
    if (spare_context_key_ok && pthread_getspecific(spare_context_key) == NULL &&
        pthread_setspecific(spare_context_key, context) == 0)
        return;
    EVP_MD_CTX_free(context);
}

/* See hash.h. */
void sha256_begin(sha256_ctx *ctx) { ctx->evp = take_context(); }

/* See hash.h. */
void sha256_update(sha256_ctx *ctx, const void *bytes, size_t len) {
    if (len && EVP_DigestUpdate(ctx->evp, bytes, len) != 1) crypto_failed();
}

/* See hash.h. */
void sha256_end(sha256_ctx *ctx, uint8_t out[SHA256_LEN]) {
    unsigned int out_len = 0;
    if (EVP_DigestFinal_ex(ctx->evp, out, &out_len) != 1 || out_len != SHA256_LEN)
        crypto_failed();
    release_context(ctx->evp);
    ctx->evp = NULL;
}

/* See hash.h. */
void sha256(const void *bytes, size_t len, uint8_t out[SHA256_LEN]) {
    sha256_ctx ctx;
    sha256_begin(&ctx);
    sha256_update(&ctx, bytes, len);
    sha256_end(&ctx, out);
}

/* See hash.h. */
uint32_t fnv1a32(const void *bytes, size_t len) {
    const unsigned char *p = bytes;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

/* See hash.h. */
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

/* See hash.h. */
bool hex_decode(const char *hex, size_t hex_len, uint8_t *bytes, size_t len) {
    if (hex_len != 2 * len) return false;
    for (size_t i = 0; i < len; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) return false;
        bytes[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

/* See hash.h. */
bool bytes_all_zero(const uint8_t *bytes, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (bytes[i]) return false;
    return true;
}
