/* Fuzz target: the context token verifier (src/batch/context.c). The input is a token as
 * a string (any bytes up to the first NUL): it must be refused with a reason, or accepted
 * only when it is exactly the encoding of the claims it yields (a token that verifies must
 * re-encode to itself: no two spellings of one token, no bytes the MAC does not cover). */
#include <string.h>

#include "batch/context.h"
#include "fuzz_target.h"
#include "util/reason.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const uint8_t key[] = "fuzz signing key";
    char token[CONTEXT_TOKEN_MAX + 64];
    size_t len = size < sizeof token - 1 ? size : sizeof token - 1;
    memcpy(token, data, len);
    token[len] = '\0';
    context_claims claims;
    memset(&claims, 0, sizeof claims);
    char reason[REASON_MAX];
    reason[0] = '\0';
    if (context_token_verify(token, key, sizeof key - 1, &claims, reason) != 0) {
        FUZZ_CHECK(reason[0] != '\0' && memchr(reason, '\0', REASON_MAX) != NULL);
        return 0;
    }
    char again[CONTEXT_TOKEN_MAX + 1];
    context_token_encode(&claims, key, sizeof key - 1, again);
    FUZZ_CHECK(strcmp(again, token) == 0);
    return 0;
}
