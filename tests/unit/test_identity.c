/* Deterministic identities and traceparent parsing. Expected values come from sha256sum
 * over the byte strings of docs/design.md, computed outside this code (see comments). */
#include <pthread.h>

#include "span/identity.h"
#include "test.h"

TEST(span_and_trace_ids_follow_the_documented_formula) {
    uint8_t nonce[NONCE_LEN];
    identity_nonce_from_batch("openai", STR_LIT("batch_abc123"), nonce);
    char hex[65];
    hex_encode(nonce, NONCE_LEN, hex);
    /* printf 'batchtrace.nonce\0openai\0batch\0batch_abc123' | sha256sum | cut -c1-32 */
    CHECK_STR(hex, "0e518515b21866a9eb1b8d9e3eca0647");
    uint8_t span_id[8];
    identity_span_id(nonce, "item", STR_LIT("request-1"), span_id);
    hex_encode(span_id, 8, hex);
    /* (nonce bytes) 'item\0request-1' | sha256sum | cut -c1-16 */
    CHECK_STR(hex, "bdf7b0a98de024da");
    uint8_t trace_id[16];
    identity_trace_id(nonce, trace_id);
    hex_encode(trace_id, 16, hex);
    /* (nonce bytes) 'trace' | sha256sum | cut -c1-32 */
    CHECK_STR(hex, "9ad2cc8d2cdd18ee25acaa6f2633e377");
}

TEST(nonce_from_digest) {
    uint8_t digest[SHA256_LEN];
    sha256("a\nb\n", 4, digest);
    uint8_t nonce[NONCE_LEN];
    identity_nonce_from_digest("anthropic", digest, nonce);
    char hex[65];
    hex_encode(nonce, NONCE_LEN, hex);
    /* printf 'batchtrace.nonce\0anthropic\0inputs\0'; printf 'a\nb\n' | sha256sum (raw) */
    CHECK_STR(hex, "de6b26c87178dd51070e109dd720d376");
}

TEST(traceparent_parsing) {
    trace_parent parent;
    CHECK(identity_parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                                     &parent));
    char hex[33];
    hex_encode(parent.trace_id, 16, hex);
    CHECK_STR(hex, "4bf92f3577b34da6a3ce929d0e0e4736");
    hex_encode(parent.span_id, 8, hex);
    CHECK_STR(hex, "00f067aa0ba902b7");
    CHECK_INT(parent.flags, 1);
    CHECK(!identity_parse_traceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                                      &parent));
    CHECK(!identity_parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
                                      &parent));
    CHECK(!identity_parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                                      &parent));
    CHECK(!identity_parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
                                      &parent));
    CHECK(!identity_parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e47zz-00f067aa0ba902b7-01",
                                      &parent));
    CHECK(!identity_parse_traceparent("", &parent));
}

/* The span id of "item"/"request-1" under the nonce of test's batch, computed on another
 * thread (each thread digests with contexts of its own). */
static void *span_id_on_thread(void *span_id) {
    uint8_t nonce[NONCE_LEN];
    identity_nonce_from_batch("openai", STR_LIT("batch_abc123"), nonce);
    identity_span_id(nonce, "item", STR_LIT("request-1"), span_id);
    return NULL;
}

TEST(digests_nest_and_run_on_any_thread) {
    /* printf 'abc' | sha256sum */
    const char *abc_hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    uint8_t digest[SHA256_LEN], inner[SHA256_LEN];
    char hex[65];
    sha256_ctx outer;
    sha256_begin(&outer);
    sha256_update(&outer, "a", 1);
    sha256("abc", 3, inner); /* a digest made while another is open on this thread */
    sha256_update(&outer, "bc", 2);
    sha256_end(&outer, digest);
    hex_encode(digest, SHA256_LEN, hex);
    CHECK_STR(hex, abc_hex);
    hex_encode(inner, SHA256_LEN, hex);
    CHECK_STR(hex, abc_hex);
    sha256("abc", 3, digest); /* the thread's reused context gives the same digest again */
    hex_encode(digest, SHA256_LEN, hex);
    CHECK_STR(hex, abc_hex);

    uint8_t span_id[8] = {0};
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, span_id_on_thread, span_id) == 0);
    CHECK(pthread_join(thread, NULL) == 0);
    hex_encode(span_id, 8, hex);
    CHECK_STR(hex, "bdf7b0a98de024da");
}

int main(void) {
    RUN(span_and_trace_ids_follow_the_documented_formula);
    RUN(nonce_from_digest);
    RUN(traceparent_parsing);
    RUN(digests_nest_and_run_on_any_thread);
    TEST_MAIN_END();
}
