/* Cutting an encoded ExportTraceServiceRequest at its span boundaries, so that a request a
 * server refuses as too large (HTTP 413) can be sent again as smaller ones: the live
 * export's and a spooled one alike (the spool keeps plain request bodies; they are parsed
 * again here). Only the shape batchtrace writes is cut: one ResourceSpans holding one
 * ScopeSpans; the resource, the scope and any other field of those two are kept whole in
 * every part. */
#ifndef BT_EXPORT_OTLP_SPLIT_H
#define BT_EXPORT_OTLP_SPLIT_H

#include <stddef.h>

#include "export/exporter.h"
#include "util/buf.h"
#include "util/str.h"

/* A request cut into its fixed parts and its spans; every bt_str borrows the body. */
typedef struct otlp_spans {
    otlp_protocol protocol;
    bt_str before;       /* protobuf: the ResourceSpans fields but scope_spans; JSON: the
                            text before the first span (through the spans array's '[') */
    bt_str between;      /* protobuf: the ScopeSpans fields but spans; JSON: unused */
    bt_str after;        /* JSON: the text after the last span (from the array's ']') */
    bt_str *spans;       /* protobuf: each Span message; JSON: each span object; owned */
    size_t span_count;
    buf_t fixed;         /* protobuf: the storage of before and between */
} otlp_spans;

/* Cut body (encoded as protocol) into out. 0, or -1 with reason when it is not a request
 * of the shape above (out is then empty). */
int otlp_spans_parse(bt_str body, otlp_protocol protocol, otlp_spans *out, char *reason);
/* Append to out (cleared first) a request of the count spans from first. */
void otlp_spans_build(const otlp_spans *spans, size_t first, size_t count, buf_t *out);
/* Release what parse allocated. */
void otlp_spans_free(otlp_spans *spans);

#endif
