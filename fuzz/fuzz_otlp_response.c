/* Fuzz target: what an OTLP/HTTP server answers (src/export/otlp_response.c). The input is a
 * response body, parsed as an ExportTraceServiceResponse in both encodings (protobuf and
 * JSON) and read as an error answer's google.rpc.Status under each content type. The
 * messages kept must be NUL-terminated, within their buffer and free of control bytes. */
#include <string.h>

#include "export/otlp_response.h"
#include "fuzz_target.h"

/* Check a message buffer of size bytes: NUL-terminated inside, no control byte before. */
static void check_message(const char *message, size_t size) {
    const char *nul = memchr(message, '\0', size);
    FUZZ_CHECK(nul != NULL);
    for (const char *p = message; p < nul; p++) FUZZ_CHECK((unsigned char)*p >= 0x20);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *body = (const char *)data;
    static const otlp_protocol protocols[] = {OTLP_HTTP_PROTOBUF, OTLP_HTTP_JSON};
    for (size_t i = 0; i < sizeof protocols / sizeof protocols[0]; i++) {
        otlp_response response;
        memset(&response, 0x55, sizeof response); /* the parser must initialize it */
        char reason[REASON_MAX];
        reason[0] = '\0';
        if (otlp_response_parse(body, size, protocols[i], &response, reason) != 0)
            FUZZ_CHECK(reason[0] != '\0' && memchr(reason, '\0', REASON_MAX) != NULL);
        else
            FUZZ_CHECK(response.rejected_spans >= 0);
        check_message(response.error_message, sizeof response.error_message);
    }
    static const char *const content_types[] = {"application/x-protobuf", "application/json",
                                                "text/plain", NULL};
    for (size_t i = 0; i < sizeof content_types / sizeof content_types[0]; i++) {
        char message[64];
        otlp_error_message(body, size, content_types[i], message, sizeof message);
        check_message(message, sizeof message);
    }
    return 0;
}
