/* Fuzz target: the proxy's reading of an upload (tap_multipart_file in src/proxy/tap.c),
 * the multipart/form-data body a client sends to POST /v1/files, which anyone who can reach
 * the proxy writes. The input is the request's Content-Type up to the first LF, then the
 * body. A body that is read gives a file part inside the body and a purpose that fits its
 * buffer; one that is not says why. */
#include <string.h>

#include "fuzz_target.h"
#include "proxy/tap.h"
#include "util/reason.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *newline = memchr(data, '\n', size);
    size_t type_len = newline ? (size_t)(newline - (const char *)data) : size;
    char *content_type = malloc(type_len + 1);
    FUZZ_CHECK(content_type != NULL);
    memcpy(content_type, data, type_len);
    content_type[type_len] = '\0';
    /* The body in a buffer of its own size, so a read past its end is caught. */
    size_t body_len = newline ? size - type_len - 1 : 0;
    char *body = malloc(body_len ? body_len : 1);
    FUZZ_CHECK(body != NULL);
    if (body_len) memcpy(body, newline + 1, body_len);

    char purpose[16];
    memset(purpose, 'x', sizeof purpose);
    uint64_t offset = UINT64_MAX, len = UINT64_MAX;
    char reason[REASON_MAX] = "";
    if (tap_multipart_file(content_type, body, body_len, purpose, sizeof purpose, &offset, &len,
                           reason) == 0) {
        FUZZ_CHECK(offset <= body_len && len <= body_len - offset);
        FUZZ_CHECK(memchr(purpose, '\0', sizeof purpose) != NULL);
    } else {
        FUZZ_CHECK(reason[0] != '\0');
    }
    free(body);
    free(content_type);
    return 0;
}
