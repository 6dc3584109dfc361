/* OTLP protobuf encoding of opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest,
 * written by hand (no protobuf-c, which would need the upstream .proto files in the repo).
 * Each span is encoded once, on arrival, into a Span message; a request collects the Span
 * messages and wraps them at the end, without copying them again:
 *
 *   ExportTraceServiceRequest { resource_spans(1): ResourceSpans {
 *     resource(1): Resource { attributes(1): KeyValue... },
 *     scope_spans(2): ScopeSpans { scope(1): InstrumentationScope { name(1), version(2) },
 *                                  spans(2): Span... } } }
 *
 * Strings are written as valid UTF-8 whatever the input: an invalid byte becomes U+FFFD. */
#ifndef BT_EXPORT_OTLP_PROTO_H
#define BT_EXPORT_OTLP_PROTO_H

#include <stddef.h>

#include "span/span.h"
#include "util/buf.h"
#include "util/str.h"

/* Append the fields of one Span message (without its own tag and length) to out. */
void otlp_proto_encode_span(buf_t *out, const span_t *span);

/* One ExportTraceServiceRequest being filled. */
typedef struct otlp_proto_request {
    buf_t data;           /* header room, then the Span records (tag, length, message) */
    size_t header_room;   /* bytes reserved in front of the first record for the wrapper */
    buf_t fixed;          /* the resource(1) field of ResourceSpans, then the scope(1) field
                             of ScopeSpans, both encoded once at init */
    size_t resource_len;  /* bytes of the resource field at the start of fixed */
    size_t span_count;    /* Span records since the last reset */
} otlp_proto_request;

/* Start an empty request for spans sharing resource (copied: it may be freed after). */
void otlp_proto_request_init(otlp_proto_request *req, const span_resource *resource);
/* Add one Span message made by otlp_proto_encode_span (its bytes are copied). */
void otlp_proto_request_add(otlp_proto_request *req, bt_str span_message);
/* Bytes of the Span records added so far (what chunk limits count). */
size_t otlp_proto_request_span_bytes(const otlp_proto_request *req);
/* Most bytes a complete request adds to its Span records (resource, scope and the
 * wrappers' tags and lengths): finish returns at most this plus span_bytes. */
size_t otlp_proto_request_overhead(const otlp_proto_request *req);
/* The complete request. Borrowed from req: valid until the next add, reset or free. */
bt_str otlp_proto_request_finish(otlp_proto_request *req);
/* Forget the spans, keep the resource and scope. data may have been swapped for another
 * buffer since finish (a transport taking the request's bytes without a copy); reset makes
 * whatever data now holds the start of a new request, keeping its memory. */
void otlp_proto_request_reset(otlp_proto_request *req);
/* Release the request's memory. */
void otlp_proto_request_free(otlp_proto_request *req);

#endif
