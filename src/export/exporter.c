/* The exporters' shared part: encode each span once as it arrives, gather the encoded
 * spans into requests of at most EXPORT_CHUNK_MAX_SPANS spans and EXPORT_CHUNK_MAX_BYTES
 * bytes, hand each full request to the transport, and count what was delivered. */
#include "export/exporter_internal.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "export/otlp_json.h"
#include "export/otlp_proto.h"
#include "util/alloc.h"
#include "util/buf.h"

/* Bytes a span's framing in a request may add to its encoding: a protobuf field tag and
 * a 10-byte length (JSON adds one comma), counted so a request stays within the limit. */
enum { EXPORT_FRAMING_MAX = 11 };

struct exporter {
    const exporter_ops *ops;         /* the transport's functions */
    void *state;                     /* the transport's data, owned */
    export_encoding encoding;        /* which of proto/json is in use */
    otlp_proto_request proto;        /* the request being filled (EXPORT_ENCODING_PROTOBUF) */
    otlp_json_request json;          /* the request being filled (EXPORT_ENCODING_JSON) */
    buf_t span_scratch;              /* one encoded span, before it joins the request */
    export_report report;            /* spans delivered and failed so far */
    char first_failure[REASON_MAX];  /* why the first delivery failed ("" when none did) */
    bool finished;                   /* exporter_finish has run */
};

/* See exporter_internal.h. The request builder matching the encoding is set up here. */
exporter_t *exporter_create(const exporter_ops *ops, void *state, export_encoding encoding,
                            const span_resource *resource) {
    exporter_t *exporter = xcalloc(1, sizeof *exporter);
    exporter->ops = ops;
    exporter->state = state;
    exporter->encoding = encoding;
    if (encoding == EXPORT_ENCODING_PROTOBUF) otlp_proto_request_init(&exporter->proto, resource);
    if (encoding == EXPORT_ENCODING_JSON) otlp_json_request_init(&exporter->json, resource);
    return exporter;
}

/* Spans in the request being filled. */
static size_t chunk_span_count(const exporter_t *exporter) {
    return exporter->encoding == EXPORT_ENCODING_PROTOBUF ? exporter->proto.span_count
                                                          : exporter->json.span_count;
}

/* Bytes of encoded spans in the request being filled. */
static size_t chunk_span_bytes(const exporter_t *exporter) {
    return exporter->encoding == EXPORT_ENCODING_PROTOBUF
               ? otlp_proto_request_span_bytes(&exporter->proto)
               : otlp_json_request_span_bytes(&exporter->json);
}

/* Add one encoded span to the request being filled. */
static void chunk_add(exporter_t *exporter, bt_str encoded) {
    if (exporter->encoding == EXPORT_ENCODING_PROTOBUF)
        otlp_proto_request_add(&exporter->proto, encoded);
    else
        otlp_json_request_add(&exporter->json, encoded);
}

/* The complete request, borrowed until chunk_reset. */
static bt_str chunk_finish(exporter_t *exporter) {
    return exporter->encoding == EXPORT_ENCODING_PROTOBUF
               ? otlp_proto_request_finish(&exporter->proto)
               : otlp_json_request_finish(&exporter->json);
}

/* Empty the request for the next spans. */
static void chunk_reset(exporter_t *exporter) {
    if (exporter->encoding == EXPORT_ENCODING_PROTOBUF)
        otlp_proto_request_reset(&exporter->proto);
    else
        otlp_json_request_reset(&exporter->json);
}

/* Count a delivery failure of span_count spans, keeping the first reason. */
static void note_failure(exporter_t *exporter, uint64_t span_count, const char *reason) {
    exporter->report.spans_failed += span_count;
    if (!exporter->first_failure[0])
        fail(exporter->first_failure, "%s", reason[0] ? reason : "delivery failed");
}

/* Hand the request being filled (if any) to the transport and start a new one. 0, or -1
 * with reason when the transport could not deliver it (its spans count as failed). */
static int flush_chunk(exporter_t *exporter, char *reason) {
    size_t span_count = chunk_span_count(exporter);
    if (span_count == 0) return 0;
    bt_str request = chunk_finish(exporter);
    char why[REASON_MAX] = "";
    int rc = exporter->ops->deliver(exporter->state, request, span_count, why);
    if (rc == 0) {
        exporter->report.spans_exported += span_count;
    } else {
        note_failure(exporter, span_count, why);
        fail(reason, "%s", why[0] ? why : "delivery failed");
    }
    chunk_reset(exporter);
    return rc == 0 ? 0 : -1;
}

/* See exporter.h: encode the span once into the scratch buffer, then add it to the
 * request, sending the request first when the span would overflow it. */
int exporter_add(exporter_t *exporter, const span_t *span, char *reason) {
    if (exporter->finished) return fail(reason, "exporter used after exporter_finish");
    if (exporter->encoding == EXPORT_ENCODING_NONE) {
        char why[REASON_MAX] = "";
        if (exporter->ops->write_span(exporter->state, span, why) != 0) {
            note_failure(exporter, 1, why);
            return fail(reason, "%s", why);
        }
        exporter->report.spans_exported++;
        return 0;
    }

    buf_t *scratch = &exporter->span_scratch;
    buf_clear(scratch);
    if (exporter->encoding == EXPORT_ENCODING_PROTOBUF) otlp_proto_encode_span(scratch, span);
    else otlp_json_encode_span(scratch, span);

    /* A span that would push the request past the byte limit starts the next request;
     * a span larger than the limit alone still goes, alone. */
    int rc = 0;
    if (chunk_span_count(exporter) > 0 &&
        chunk_span_bytes(exporter) + scratch->len + EXPORT_FRAMING_MAX > EXPORT_CHUNK_MAX_BYTES)
        rc = flush_chunk(exporter, reason);
    chunk_add(exporter, (bt_str){scratch->data, scratch->len});
    if (chunk_span_count(exporter) >= EXPORT_CHUNK_MAX_SPANS) {
        /* When the earlier flush failed, reason keeps its words. */
        if (flush_chunk(exporter, rc == 0 ? reason : NULL) != 0) rc = -1;
    }
    return rc;
}

/* See exporter.h: send what is queued, close the transport, and sum up. Calling it twice
 * only reports again. */
int exporter_finish(exporter_t *exporter, export_report *report, char *reason) {
    if (!exporter->finished) {
        exporter->finished = true;
        /* A failed delivery or close is recorded in the report and first_failure. */
        if (exporter->encoding != EXPORT_ENCODING_NONE) flush_chunk(exporter, NULL);
        char why[REASON_MAX] = "";
        if (exporter->ops->close && exporter->ops->close(exporter->state, why) != 0 &&
            !exporter->first_failure[0])
            fail(exporter->first_failure, "%s", why);
    }
    if (report) *report = exporter->report;
    if (exporter->report.spans_failed > 0) {
        uint64_t total = exporter->report.spans_failed + exporter->report.spans_exported;
        return fail(reason, "%" PRIu64 " of %" PRIu64 " spans not delivered: %s",
                    exporter->report.spans_failed, total, exporter->first_failure);
    }
    if (exporter->first_failure[0]) return fail(reason, "%s", exporter->first_failure);
    return 0;
}

/* See exporter.h: releases the transport, then the request buffers. */
void exporter_free(exporter_t *exporter) {
    if (!exporter) return;
    exporter->ops->free(exporter->state);
    if (exporter->encoding == EXPORT_ENCODING_PROTOBUF) otlp_proto_request_free(&exporter->proto);
    if (exporter->encoding == EXPORT_ENCODING_JSON) otlp_json_request_free(&exporter->json);
    buf_free(&exporter->span_scratch);
    free(exporter);
}
