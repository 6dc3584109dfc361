/* What an OTLP/HTTP server says back. A 2xx answer carries an ExportTraceServiceResponse
 * whose optional partial_success counts the spans the server rejected (and says why); an
 * error answer usually carries a google.rpc.Status whose message explains the refusal.
 * Both come in the request's encoding, protobuf or JSON. These parsers take any bytes a
 * server may send (they are fuzzed): they never read past len and never allocate more
 * than the body's size. */
#ifndef BT_EXPORT_OTLP_RESPONSE_H
#define BT_EXPORT_OTLP_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

#include "export/exporter.h"

/* Bytes kept of a server's message, NUL included. */
#define OTLP_MESSAGE_MAX 256

/* The partial_success of an ExportTraceServiceResponse. */
typedef struct otlp_response {
    int64_t rejected_spans;               /* spans the server refused (0 when absent) */
    char error_message[OTLP_MESSAGE_MAX]; /* why, cut to fit, control bytes shown as ' '
                                             ("" when absent) */
} otlp_response;

/* Parse body[0..len) as an ExportTraceServiceResponse in protocol's encoding into *out
 * (an empty body is a response without partial_success). 0, or -1 with reason when the
 * body is not such a message (out then holds what was read before the fault). */
int otlp_response_parse(const char *body, size_t len, otlp_protocol protocol,
                        otlp_response *out, char *reason);

/* The message of an error answer, for a person: body[0..len) read as a google.rpc.Status
 * (protobuf when content_type is application/x-protobuf, JSON {"message": ...} when it is
 * application/json), else the body itself as text. Written to out (out_size bytes,
 * NUL-terminated, control bytes shown as ' ', cut to fit); "" for an empty body. */
void otlp_error_message(const char *body, size_t len, const char *content_type, char *out,
                        size_t out_size);

#endif
