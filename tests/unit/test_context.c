/* The context token: round trip, size, tampering, another key, malformed input. The MAC is
 * checked against `openssl dgst -sha256 -hmac` in a comment-documented expected value. */
#include "batch/context.h"
#include "test.h"
#include "util/base64.h"
#include "util/reason.h"

static const uint8_t key[] = "test signing key";

/* Claims with recognizable bytes. */
static context_claims sample_claims(void) {
    context_claims c;
    memset(&c, 0, sizeof c);
    c.provider = "anthropic";
    for (int i = 0; i < 16; i++) c.trace_id[i] = (uint8_t)(0x10 + i);
    c.has_parent = true;
    for (int i = 0; i < 8; i++) c.parent_span_id[i] = (uint8_t)(0xa0 + i);
    c.trace_flags = 1;
    for (int i = 0; i < 16; i++) c.nonce[i] = (uint8_t)(0x30 + i);
    c.start_ns = INT64_C(1773064931123456789);
    c.request_count = 100000;
    sha256("a\nb\n", 4, c.input_digest);
    return c;
}

TEST(round_trip_keeps_every_claim) {
    context_claims in = sample_claims(), out;
    char token[CONTEXT_TOKEN_MAX + 1];
    context_token_encode(&in, key, sizeof key - 1, token);
    CHECK_INT(strlen(token), 171);
    CHECK(strncmp(token, "btx1.", 5) == 0);
    char reason[REASON_MAX];
    memset(&out, 0, sizeof out);
    CHECK_INT(context_token_verify(token, key, sizeof key - 1, &out, reason), 0);
    CHECK_STR(out.provider, "anthropic");
    CHECK(memcmp(out.trace_id, in.trace_id, 16) == 0);
    CHECK(out.has_parent);
    CHECK(memcmp(out.parent_span_id, in.parent_span_id, 8) == 0);
    CHECK_INT(out.trace_flags, 1);
    CHECK(memcmp(out.nonce, in.nonce, 16) == 0);
    CHECK_INT(out.start_ns, INT64_C(1773064931123456789));
    CHECK_INT(out.request_count, 100000);
    CHECK(memcmp(out.input_digest, in.input_digest, SHA256_LEN) == 0);
}

TEST(mac_is_hmac_sha256_over_prefix_and_payload) {
    context_claims in = sample_claims();
    char token[CONTEXT_TOKEN_MAX + 1];
    context_token_encode(&in, key, sizeof key - 1, token);
    /* The payload decodes to 91 bytes whose first byte is the provider (2 = anthropic). */
    const char *dot = strchr(token + 5, '.');
    uint8_t payload[128];
    size_t len = 0;
    CHECK(dot && base64url_decode(token + 5, (size_t)(dot - token - 5), payload, sizeof payload, &len));
    CHECK_INT(len, 91);
    CHECK_INT(payload[0], 2);
    CHECK_INT(payload[1], 0x10);
    /* printf 'btx1.' + payload | openssl dgst -sha256 -hmac 'test signing key' -binary | base64url */
    CHECK_STR(dot + 1, "HTV4Zt1BoktA9tQyEh8RKKcMeJQ_Rx86LVsr9tbfz-4");
}

TEST(tampered_token_is_refused) {
    context_claims in = sample_claims(), out;
    char token[CONTEXT_TOKEN_MAX + 1];
    context_token_encode(&in, key, sizeof key - 1, token);
    char reason[REASON_MAX];
    token[20] = token[20] == 'A' ? 'B' : 'A';
    CHECK_INT(context_token_verify(token, key, sizeof key - 1, &out, reason), -1);
    CHECK_STR(reason, "context token signature does not match: signed under another key, or altered");
}

TEST(token_under_another_key_is_refused) {
    context_claims in = sample_claims(), out;
    char token[CONTEXT_TOKEN_MAX + 1];
    context_token_encode(&in, (const uint8_t *)"other key", 9, token);
    char reason[REASON_MAX];
    CHECK_INT(context_token_verify(token, key, sizeof key - 1, &out, reason), -1);
    CHECK(strstr(reason, "signed under another key") != NULL);
}

TEST(malformed_tokens_are_refused) {
    context_claims out;
    char reason[REASON_MAX];
    CHECK_INT(context_token_verify("hello", key, sizeof key - 1, &out, reason), -1);
    CHECK_STR(reason, "not a batchtrace context token (expected the prefix btx1.)");
    CHECK_INT(context_token_verify("btx1.abc", key, sizeof key - 1, &out, reason), -1);
    CHECK_STR(reason, "malformed context token");
    CHECK_INT(context_token_verify("btx1.abc.def", key, sizeof key - 1, &out, reason), -1);
    CHECK_STR(reason, "malformed context token");
    CHECK_INT(context_token_verify("btx1.a!b.c", key, sizeof key - 1, &out, reason), -1);
    CHECK_STR(reason, "malformed context token");
}

TEST(base64url_round_trip_and_strictness) {
    uint8_t bytes[] = {0xfb, 0xff, 0x00, 0x10};
    char text[16];
    base64url_encode(bytes, 4, text);
    CHECK_STR(text, "-_8AEA");
    uint8_t back[8];
    size_t len;
    CHECK(base64url_decode(text, strlen(text), back, sizeof back, &len));
    CHECK_INT(len, 4);
    CHECK(memcmp(back, bytes, 4) == 0);
    CHECK(!base64url_decode("-_8AEB", 6, back, sizeof back, &len)); /* non-zero unused bits */
    CHECK(!base64url_decode("-_8AE", 5, back, sizeof back, &len));  /* impossible length */
    CHECK(!base64url_decode("-_8A=A", 6, back, sizeof back, &len)); /* padding */
}

int main(void) {
    RUN(round_trip_keeps_every_claim);
    RUN(mac_is_hmac_sha256_over_prefix_and_payload);
    RUN(tampered_token_is_refused);
    RUN(token_under_another_key_is_refused);
    RUN(malformed_tokens_are_refused);
    RUN(base64url_round_trip_and_strictness);
    TEST_MAIN_END();
}
