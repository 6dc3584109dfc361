/* The exporters' shared part: encode spans (exporter_encode, callable from any thread),
 * gather the encoded spans, in the order they are added, into requests of at most
 * EXPORT_CHUNK_MAX_SPANS spans and a byte limit (a soft EXPORT_CHUNK_MAX_BYTES, or the hard
 * limit a transport sets), hand each full request to the transport, and count what was
 * delivered. Everything but exporter_encode runs on the caller's thread. */
#include "export/exporter_internal.h"

#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "batchtrace.h"
#include "export/otlp_json.h"
#include "export/otlp_proto.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/hash.h"

/* Bytes a span's framing in a request may add to its encoding: a protobuf field tag and
 * a 10-byte length (JSON adds one comma), counted so a request stays within the limit. */
enum { EXPORT_FRAMING_MAX = 11 };

struct exporter {
    const exporter_ops *ops;         /* the transport's functions */
    void *state;                     /* the transport's data, owned */
    export_encoding encoding;        /* which of proto/json/console text is in use */
    otlp_proto_request proto;        /* the request being filled (EXPORT_ENCODING_PROTOBUF) */
    otlp_json_request json;          /* the request being filled (EXPORT_ENCODING_JSON) */
    buf_t encoded;                   /* exporter_add's encoding of its span, reused */
    size_t since_pump;               /* bytes of spans added since ops->pump last ran */
    size_t max_request_bytes;        /* what a request's encoding may reach */
    bool hard_limit;                 /* a span too large for a request alone is set aside */
    export_report report;            /* spans delivered and failed so far */
    export_details details;          /* the transport's further counts (after finish) */
    char first_failure[REASON_MAX];  /* why the first delivery failed ("" when none did) */
    bool finished;                   /* exporter_finish has run */
    export_outcome_fn on_outcome;    /* told what became of tagged spans; NULL: nobody */
    void *outcome_ctx;
    uint64_t *tags;                  /* with on_outcome: the tags of the spans written
                                        and not yet reported (a transport without tally:
                                        the first written_tags of them), then those of
                                        the request being filled; owned */
    size_t tag_count, tag_cap;
    size_t written_tags;             /* tags of requests a transport without tally took
                                        and that wait for its sync (see report_written) */
    uint64_t *syncing_tags;          /* the tags of the requests whose sync runs in the
                                        background (sync_in_background); owned */
    size_t syncing_count, syncing_cap;
    bool syncing;                    /* a background sync was started, not waited for */
};

/* ---- requests ------------------------------------------------------------------------ */

/* See exporter_internal.h. The request builder matching the encoding is set up here. */
exporter_t *exporter_create(const exporter_ops *ops, void *state, export_encoding encoding,
                            const span_resource *resource) {
    exporter_t *exporter = xcalloc(1, sizeof *exporter);
    exporter->ops = ops;
    exporter->state = state;
    exporter->encoding = encoding;
    exporter->max_request_bytes = EXPORT_CHUNK_MAX_BYTES;
    if (encoding == EXPORT_ENCODING_PROTOBUF) otlp_proto_request_init(&exporter->proto, resource);
    if (encoding == EXPORT_ENCODING_JSON) otlp_json_request_init(&exporter->json, resource);
    return exporter;
}

/* See exporter_internal.h. */
void exporter_set_request_limit(exporter_t *exporter, size_t max_bytes) {
    exporter->max_request_bytes = max_bytes;
    exporter->hard_limit = true;
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

/* Most bytes a complete request adds to its encoded spans. */
static size_t chunk_overhead(const exporter_t *exporter) {
    return exporter->encoding == EXPORT_ENCODING_PROTOBUF
               ? otlp_proto_request_overhead(&exporter->proto)
               : otlp_json_request_overhead(&exporter->json);
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

/* The buffer the request being filled lies in (a transport may take it, see
 * exporter_ops.deliver). */
static buf_t *chunk_storage(exporter_t *exporter) {
    return exporter->encoding == EXPORT_ENCODING_PROTOBUF ? &exporter->proto.data
                                                          : &exporter->json.data;
}

/* Empty the request for the next spans (in whatever buffer it now has). */
static void chunk_reset(exporter_t *exporter) {
    if (exporter->encoding == EXPORT_ENCODING_PROTOBUF)
        otlp_proto_request_reset(&exporter->proto);
    else
        otlp_json_request_reset(&exporter->json);
}

/* See exporter.h. */
void exporter_on_outcome(exporter_t *exporter, export_outcome_fn fn, void *ctx) {
    exporter->on_outcome = fn;
    exporter->outcome_ctx = ctx;
}

/* See exporter_internal.h. */
void exporter_report_outcome(exporter_t *exporter, const uint64_t *tags, size_t count,
                             export_outcome outcome) {
    if (exporter->on_outcome && count) exporter->on_outcome(exporter->outcome_ctx, tags, count, outcome);
}

/* Remember the tag of a span joining the request (only when someone follows outcomes). */
static void keep_tag(exporter_t *exporter, uint64_t tag) {
    if (!exporter->on_outcome) return;
    if (exporter->tag_count == exporter->tag_cap) {
        exporter->tag_cap = exporter->tag_cap ? exporter->tag_cap * 2 : 256;
        exporter->tags = xreallocarray(exporter->tags, exporter->tag_cap, sizeof *exporter->tags);
    }
    exporter->tags[exporter->tag_count++] = tag;
}

/* Count a delivery failure of span_count spans, keeping the first reason. */
static void note_failure(exporter_t *exporter, uint64_t span_count, const char *reason) {
    exporter->report.spans_failed += span_count;
    if (!exporter->first_failure[0])
        fail(exporter->first_failure, "%s", reason[0] ? reason : "delivery failed");
}

/* Report count written spans (their tags) once the sync that was to make them durable
 * ended: delivered, or when it failed (why), lost: written but maybe not kept, so not
 * delivered as far as anyone may count (the spans then count as failed). 0, or -1 with
 * reason. */
static int report_synced(exporter_t *exporter, const uint64_t *tags, size_t count,
                         bool sync_failed, const char *why, char *reason) {
    if (!sync_failed) {
        exporter_report_outcome(exporter, tags, count, EXPORT_DELIVERED);
        return 0;
    }
    exporter->report.spans_exported -= count;
    note_failure(exporter, count, why);
    if (reason) fail(reason, "%s", why);
    exporter_report_outcome(exporter, tags, count, EXPORT_LOST);
    return -1;
}

/* Wait for the background sync (if one runs), then report its tags (report_synced). 0, or
 * -1 with reason. */
static int finish_background_sync(exporter_t *exporter, char *reason) {
    if (!exporter->syncing) return 0;
    exporter->syncing = false;
    char why[REASON_MAX] = "";
    bool failed = exporter->ops->sync_wait(exporter->state, why) != 0;
    int rc = report_synced(exporter, exporter->syncing_tags, exporter->syncing_count, failed,
                           why, reason);
    exporter->syncing_count = 0;
    return rc;
}

/* Report what the last background sync made durable, then start the next one for the
 * requests the transport took since (all the kept tags: the request being filled is
 * empty here), so the disk works while the caller encodes the next spans. The outcome of
 * these requests is reported once that sync ends: at the next call, or report_written.
 * 0, or -1 with reason (the earlier sync failed). */
static int sync_in_background(exporter_t *exporter, char *reason) {
    int rc = finish_background_sync(exporter, reason);
    exporter->written_tags = 0;
    if (!exporter->tag_count) return rc;
    uint64_t *tags = exporter->syncing_tags;
    size_t cap = exporter->syncing_cap;
    exporter->syncing_tags = exporter->tags;
    exporter->syncing_cap = exporter->tag_cap;
    exporter->syncing_count = exporter->tag_count;
    exporter->tags = tags;
    exporter->tag_cap = cap;
    exporter->tag_count = 0;
    exporter->syncing = true;
    exporter->ops->sync_start(exporter->state);
    return rc;
}

/* Make what the transport took durable, then report the kept tags as delivered (or, when
 * that fails, as lost: the spans then count as failed); a background sync is waited for
 * and reported first. For transports without tally. 0, or -1 with reason. */
static int report_written(exporter_t *exporter, char *reason) {
    int rc = finish_background_sync(exporter, reason);
    exporter->written_tags = 0;
    if (!exporter->tag_count) return rc;
    char why[REASON_MAX] = "";
    bool failed = exporter->ops->sync && exporter->ops->sync(exporter->state, why) != 0;
    if (report_synced(exporter, exporter->tags, exporter->tag_count, failed, why, reason) != 0)
        rc = -1;
    exporter->tag_count = 0;
    return rc;
}

/* Hand the request being filled (if any) to the transport and start a new one. A
 * transport without tally (the file) is synced, and what it took reported, once
 * EXPORT_SYNC_SPANS spans wait (and at exporter_finish): one fdatasync and one outcome
 * (for collect: one store transaction of marks) per group of requests rather than per
 * request; with sync_start, the group's sync runs while the next group is written. 0, or
 * -1 with reason when the transport could not deliver it (its spans count as failed). */
static int flush_chunk(exporter_t *exporter, char *reason) {
    size_t span_count = chunk_span_count(exporter);
    if (span_count == 0) return 0;
    bt_str request = chunk_finish(exporter);
    char why[REASON_MAX] = "";
    /* The request's own tags follow those of the requests waiting for the sync (no tags
     * at all when nobody follows outcomes). */
    const uint64_t *tags = exporter->tags ? exporter->tags + exporter->written_tags : NULL;
    size_t tag_count = exporter->tag_count - exporter->written_tags;
    int rc = exporter->ops->deliver(exporter->state, request, chunk_storage(exporter),
                                    span_count, tags, tag_count, why);
    chunk_reset(exporter);
    if (rc != 0) {
        note_failure(exporter, span_count, why);
        if (reason) fail(reason, "%s", why[0] ? why : "delivery failed");
    }
    if (exporter->ops->tally) {
        exporter->tag_count = 0;
        return rc == 0 ? 0 : -1;
    }
    if (rc != 0) {
        exporter_report_outcome(exporter, tags, tag_count, EXPORT_LOST);
        exporter->tag_count = exporter->written_tags;
        report_written(exporter, NULL); /* the requests it took before this one */
        return -1;
    }
    exporter->report.spans_exported += span_count;
    exporter->written_tags = exporter->tag_count;
    if (exporter->written_tags < EXPORT_SYNC_SPANS) return 0;
    return exporter->ops->sync_start ? sync_in_background(exporter, reason)
                                     : report_written(exporter, reason);
}

/* See exporter.h. Pure: reads only the exporter's encoding (and, for the console, its
 * formatting function), so workers may call it at the same time as each other. */
void exporter_encode(const exporter_t *exporter, const span_t *span, buf_t *out) {
    switch (exporter->encoding) {
    case EXPORT_ENCODING_PROTOBUF: otlp_proto_encode_span(out, span); break;
    case EXPORT_ENCODING_JSON: otlp_json_encode_span(out, span); break;
    case EXPORT_ENCODING_NONE: exporter->ops->format_span(out, span); break;
    }
}

/* Add a span encoded as encoded to the request, sending the request first when the span
 * would overflow it. 0, or -1 with reason when a request sent here was not delivered. */
static int add_to_request(exporter_t *exporter, const uint8_t span_id[8], bt_str name,
                          bt_str encoded, uint64_t tag, char *reason) {
    /* A span that would push the request past the byte limit starts the next request. A
     * span larger than the limit alone goes alone, or, under a hard limit, is set aside
     * in a request of its own that is never sent. */
    int rc = 0;
    size_t alone = chunk_overhead(exporter) + encoded.len + EXPORT_FRAMING_MAX;
    if (chunk_span_count(exporter) > 0 &&
        alone + chunk_span_bytes(exporter) > exporter->max_request_bytes)
        rc = flush_chunk(exporter, reason);
    chunk_add(exporter, encoded);
    keep_tag(exporter, tag);
    if (exporter->ops->pump && (exporter->since_pump += encoded.len) >= EXPORT_PUMP_BYTES) {
        exporter->since_pump = 0;
        exporter->ops->pump(exporter->state);
    }
    if (exporter->hard_limit && alone > exporter->max_request_bytes) {
        char span_hex[17];
        hex_encode(span_id, 8, span_hex);
        int name_len = (int)(name.len < 60 ? name.len : 60);
        char why[REASON_MAX];
        fail(why, "span %s (%.*s) is %zu bytes encoded, too large for a request of at most "
                  "%zu bytes (--max-request-bytes)",
             span_hex, name_len, name.ptr ? name.ptr : "", encoded.len,
             exporter->max_request_bytes);
        /* The transport counts these spans (tally), kept or lost. */
        char kept[REASON_MAX] = "";
        if (exporter->ops->set_aside(exporter->state, chunk_finish(exporter), 1, why,
                                     exporter->tags, exporter->tag_count, kept) != 0) {
            if (!exporter->first_failure[0]) fail(exporter->first_failure, "%s", kept);
            if (rc == 0) fail(reason, "%s", kept);
            rc = -1;
        }
        exporter->tag_count = 0;
        chunk_reset(exporter);
        return rc;
    }
    if (chunk_span_count(exporter) >= EXPORT_CHUNK_MAX_SPANS) {
        /* When the earlier flush failed, reason keeps its words. */
        if (flush_chunk(exporter, rc == 0 ? reason : NULL) != 0) rc = -1;
    }
    return rc;
}

/* See exporter.h. The console writes the text at once (its outcome is reported once
 * EXPORT_CHUNK_MAX_SPANS spans are written, after a flush); the others add it to a
 * request. */
int exporter_add_encoded(exporter_t *exporter, const uint8_t span_id[8], bt_str name,
                         bt_str encoded, uint64_t tag, char *reason) {
    if (exporter->finished) return fail(reason, "exporter used after exporter_finish");
    if (exporter->encoding != EXPORT_ENCODING_NONE)
        return add_to_request(exporter, span_id, name, encoded, tag, reason);
    char why[REASON_MAX] = "";
    if (exporter->ops->write_text(exporter->state, encoded, why) != 0) {
        note_failure(exporter, 1, why);
        exporter_report_outcome(exporter, &tag, 1, EXPORT_LOST);
        return fail(reason, "%s", why);
    }
    exporter->report.spans_exported++;
    keep_tag(exporter, tag);
    if (exporter->tag_count >= EXPORT_CHUNK_MAX_SPANS) return report_written(exporter, reason);
    return 0;
}

/* See exporter.h: encode, then add. */
int exporter_add_tagged(exporter_t *exporter, const span_t *span, uint64_t tag, char *reason) {
    buf_clear(&exporter->encoded);
    exporter_encode(exporter, span, &exporter->encoded);
    return exporter_add_encoded(exporter, span->span_id, span->name,
                                (bt_str){exporter->encoded.data, exporter->encoded.len}, tag,
                                reason);
}

/* See exporter.h. */
int exporter_add(exporter_t *exporter, const span_t *span, char *reason) {
    return exporter_add_tagged(exporter, span, 0, reason);
}

/* See exporter.h: the request builder in use makes the one-span request. */
int exporter_encode_ahead(exporter_t *exporter, const span_t *span, export_ahead *ahead) {
    if (!exporter->ops->send_spooled || chunk_span_count(exporter) > 0 || exporter->finished)
        return -1;
    buf_clear(&exporter->encoded);
    exporter_encode(exporter, span, &exporter->encoded);
    chunk_add(exporter, (bt_str){exporter->encoded.data, exporter->encoded.len});
    bt_str request = chunk_finish(exporter);
    buf_clear(&ahead->body);
    buf_append(&ahead->body, request.ptr, request.len);
    chunk_reset(exporter);
    ahead->protocol =
        exporter->encoding == EXPORT_ENCODING_PROTOBUF ? "http/protobuf" : "http/json";
    ahead->braintrust_parent =
        exporter->ops->braintrust_parent ? exporter->ops->braintrust_parent(exporter->state)
                                         : NULL;
    return 0;
}

/* See exporter.h. */
int exporter_add_spooled(exporter_t *exporter, const export_ahead *ahead, int64_t spool_id,
                         char *reason) {
    if (exporter->finished || !exporter->ops->send_spooled)
        return fail(reason, "this exporter cannot send spooled requests");
    exporter->ops->send_spooled(exporter->state, (bt_str){ahead->body.data, ahead->body.len}, 1,
                                spool_id);
    return 0;
}

/* See exporter.h: send the request being filled, close the transport, and sum up. Calling
 * it twice only reports again. */
int exporter_finish(exporter_t *exporter, export_report *report, char *reason) {
    if (!exporter->finished) {
        exporter->finished = true;
        /* A failed delivery or close is recorded in the report and first_failure. */
        if (exporter->encoding != EXPORT_ENCODING_NONE) flush_chunk(exporter, NULL);
        report_written(exporter, NULL);
        char why[REASON_MAX] = "";
        if (exporter->ops->close && exporter->ops->close(exporter->state, why) != 0 &&
            !exporter->first_failure[0])
            fail(exporter->first_failure, "%s", why);
        if (exporter->ops->tally)
            exporter->ops->tally(exporter->state, &exporter->report, &exporter->details);
    }
    if (report) *report = exporter->report;
    if (exporter->report.spans_failed > 0) {
        uint64_t total = exporter->report.spans_failed + exporter->report.spans_exported +
                         exporter->details.spans_rejected;
        return fail(reason, "%" PRIu64 " of %" PRIu64 " spans not delivered: %s",
                    exporter->report.spans_failed, total, exporter->first_failure);
    }
    if (exporter->first_failure[0]) return fail(reason, "%s", exporter->first_failure);
    return 0;
}

/* See exporter.h. */
void exporter_details(const exporter_t *exporter, export_details *details) {
    *details = exporter->details;
}

/* See exporter.h: releases the transport, then the request buffers. */
void exporter_free(exporter_t *exporter) {
    if (!exporter) return;
    char ignored[REASON_MAX];
    if (exporter->syncing) exporter->ops->sync_wait(exporter->state, ignored); /* joined */
    exporter->ops->free(exporter->state);
    buf_free(&exporter->encoded);
    free(exporter->tags);
    free(exporter->syncing_tags);
    if (exporter->encoding == EXPORT_ENCODING_PROTOBUF) otlp_proto_request_free(&exporter->proto);
    if (exporter->encoding == EXPORT_ENCODING_JSON) otlp_json_request_free(&exporter->json);
    free(exporter);
}

/* Set by exporter_interrupt, read by the transports between steps. */
static volatile sig_atomic_t interrupt_requested;
/* OTLP senders alive (changed by the main thread only, read by a signal handler). */
static volatile sig_atomic_t interrupt_watchers;

/* See exporter.h. */
int exporter_interrupt(void) {
    interrupt_requested = 1;
    return interrupt_watchers > 0;
}

/* See exporter.h. */
int exporter_interrupted(void) { return interrupt_requested != 0; }

/* See exporter.h. */
void exporter_watch_interrupts(int watching) { interrupt_watchers += watching ? 1 : -1; }

/* See batchtrace.h: the public face of exporter_interrupt. */
int batchtrace_interrupt(void) { return exporter_interrupt(); }
