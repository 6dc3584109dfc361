/* OTLP/JSON encoding of ExportTraceServiceRequest, per the OTLP specification's JSON
 * mapping: lowerCamelCase field names, trace and span ids as lowercase hex, 64-bit
 * integers (intValue, *UnixNano) as decimal strings, enums (kind, status code) as
 * integers, doubles as JSON numbers (non-finite ones as the strings "NaN", "Infinity",
 * "-Infinity"). The chunk structure is that of otlp_proto.h: one resource, one scope, the
 * spans. Each span is encoded once into a JSON object; a request is a fixed prefix, the
 * span objects separated by commas, and a fixed suffix. Output is always valid JSON
 * (invalid UTF-8 bytes become U+FFFD). */
#ifndef BT_EXPORT_OTLP_JSON_H
#define BT_EXPORT_OTLP_JSON_H

#include <stddef.h>

#include "span/span.h"
#include "util/buf.h"
#include "util/str.h"

/* Append one span as a JSON object to out. */
void otlp_json_encode_span(buf_t *out, const span_t *span);

/* One ExportTraceServiceRequest being filled. */
typedef struct otlp_json_request {
    buf_t data;          /* the prefix (resource, scope, "spans":[), then the span objects */
    size_t prefix_len;   /* bytes of the prefix */
    char *prefix;        /* a copy of the prefix, for reset; owned */
    size_t span_count;   /* span objects since the last reset */
} otlp_json_request;

/* Start an empty request for spans sharing resource (copied: it may be freed after). */
void otlp_json_request_init(otlp_json_request *req, const span_resource *resource);
/* Add one span object made by otlp_json_encode_span (its bytes are copied). */
void otlp_json_request_add(otlp_json_request *req, bt_str span_object);
/* Bytes of the span objects added so far, commas included (what chunk limits count). */
size_t otlp_json_request_span_bytes(const otlp_json_request *req);
/* Bytes a complete request adds to its span objects (the prefix and the suffix): finish
 * returns exactly this plus span_bytes. */
size_t otlp_json_request_overhead(const otlp_json_request *req);
/* The complete request (no trailing newline). Borrowed from req: valid until the next
 * reset or free; call otlp_json_request_reset before adding more spans. */
bt_str otlp_json_request_finish(otlp_json_request *req);
/* Forget the spans, keep the prefix. data may have been swapped for another buffer since
 * finish (a transport taking the request's bytes without a copy); reset rewrites the
 * prefix into whatever data now holds, keeping its memory. */
void otlp_json_request_reset(otlp_json_request *req);
/* Release the request's memory. */
void otlp_json_request_free(otlp_json_request *req);

#endif
