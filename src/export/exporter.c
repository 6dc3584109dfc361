/* The exporters' shared part: encode each span once as it arrives, gather the encoded
 * spans into requests of at most EXPORT_CHUNK_MAX_SPANS spans and a byte limit (a soft
 * EXPORT_CHUNK_MAX_BYTES, or the hard limit a transport sets), hand each full request to
 * the transport, and count what was delivered.
 *
 * Encoding runs on a second thread (the pipeline below): exporter_add copies the span into
 * one of PIPELINE_SLOTS slots and returns; the encoding thread encodes slots in order; the
 * caller's thread takes encoded spans back in the same order, during later exporter_add
 * calls and in exporter_finish, and does everything else (requests, the transport, counts,
 * failures) itself. So requests hold the same spans in the same order as if every span were
 * encoded at once, and the transport only ever runs on the caller's thread. */
#include "export/exporter_internal.h"

#include <inttypes.h>
#include <pthread.h>
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

enum {
    PIPELINE_SLOTS = 32,              /* spans handed over and not yet taken back, at most */
    PIPELINE_MAX_BYTES = 8 << 20,     /* their copies' bytes, past which exporter_add waits */
    PIPELINE_WAKE_SPANS = 16,         /* spans queued before an idle encoding thread is woken:
                                         waking it for each span costs more than encoding */
    PIPELINE_WAKE_BYTES = 1 << 20,    /* or bytes queued */
};

/* One span on its way through the encoding thread. */
typedef struct pipeline_slot {
    span_t span;                     /* a copy of the span handed over; strings in arena */
    arena_t arena;                   /* owns the copy; reset once the span is taken back */
    size_t copy_bytes;               /* bytes the copy holds, for PIPELINE_MAX_BYTES */
    buf_t encoded;                   /* the encoding thread's output for span */
} pipeline_slot;

/* The encoding thread and the ring of slots it shares with the caller's thread. Slot n
 * (mod PIPELINE_SLOTS) holds the n-th span handed over: the caller's thread fills slots
 * [queued], the encoding thread encodes slot [encoded], and the caller's thread takes back
 * slot [taken]; taken <= encoded <= queued <= taken + PIPELINE_SLOTS. */
typedef struct pipeline {
    pthread_t thread;                /* the encoding thread */
    pthread_mutex_t lock;            /* guards the counters, queued_bytes and stopping */
    pthread_cond_t work;             /* signalled when a span is queued or stopping is set */
    pthread_cond_t done;             /* signalled when a span is encoded */
    export_encoding encoding;        /* how the thread encodes */
    pipeline_slot slots[PIPELINE_SLOTS];
    uint64_t queued;                 /* spans handed over so far */
    uint64_t encoded;                /* spans encoded so far */
    uint64_t taken;                  /* spans taken back so far (the caller's thread only) */
    size_t queued_bytes;             /* copy_bytes of the spans not taken back yet */
    bool stopping;                   /* the thread should end once nothing is queued */
    bool idle;                       /* the encoding thread waits for work */
    bool waiting;                    /* the caller's thread waits for an encoded span */
} pipeline;

struct exporter {
    const exporter_ops *ops;         /* the transport's functions */
    void *state;                     /* the transport's data, owned */
    export_encoding encoding;        /* which of proto/json is in use */
    otlp_proto_request proto;        /* the request being filled (EXPORT_ENCODING_PROTOBUF) */
    otlp_json_request json;          /* the request being filled (EXPORT_ENCODING_JSON) */
    pipeline *pipeline;              /* the encoding thread; NULL for EXPORT_ENCODING_NONE
                                        or once exporter_finish stopped it */
    size_t max_request_bytes;        /* what a request's encoding may reach */
    bool hard_limit;                 /* a span too large for a request alone is set aside */
    export_report report;            /* spans delivered and failed so far */
    export_details details;          /* the transport's further counts (after finish) */
    char first_failure[REASON_MAX];  /* why the first delivery failed ("" when none did) */
    bool finished;                   /* exporter_finish has run */
};

/* ---- the encoding thread ------------------------------------------------------------ */

/* A copy of s in arena (counted in *bytes); an empty string stays empty. */
static bt_str copy_str(arena_t *arena, bt_str s, size_t *bytes) {
    if (s.len == 0) return (bt_str){s.ptr ? "" : NULL, 0};
    *bytes += s.len;
    return arena_strndup(arena, s.ptr, s.len);
}

/* Copy span into slot: every string and array the encoders read, attribute keys included,
 * so the caller may reset the span's arena at once. */
static void copy_span(pipeline_slot *slot, const span_t *span) {
    arena_t *arena = &slot->arena;
    size_t bytes = sizeof *span;
    slot->span = *span;
    slot->span.arena = arena;
    slot->span.name = copy_str(arena, span->name, &bytes);
    slot->span.status_message = copy_str(arena, span->status_message, &bytes);
    slot->span.attr_cap = span->attr_count;
    slot->span.attrs = span->attr_count ? arena_alloc(arena, span->attr_count * sizeof *span->attrs)
                                        : NULL;
    bytes += span->attr_count * sizeof *span->attrs;
    for (size_t i = 0; i < span->attr_count; i++) {
        const span_attr *from = &span->attrs[i];
        span_attr *to = &slot->span.attrs[i];
        *to = *from;
        to->key = arena_strndup(arena, from->key, strlen(from->key)).ptr;
        to->s = copy_str(arena, from->s, &bytes);
        if (from->type == ATTR_STRING_ARRAY && from->array_len) {
            bt_str *array = arena_alloc(arena, from->array_len * sizeof *array);
            for (size_t j = 0; j < from->array_len; j++)
                array[j] = copy_str(arena, from->array[j], &bytes);
            to->array = array;
            bytes += from->array_len * sizeof *array;
        }
    }
    slot->copy_bytes = bytes;
}

/* Encode one span as the exporter's encoding says. */
static void encode_span(export_encoding encoding, buf_t *out, const span_t *span) {
    buf_clear(out);
    if (encoding == EXPORT_ENCODING_PROTOBUF) otlp_proto_encode_span(out, span);
    else otlp_json_encode_span(out, span);
}

/* The encoding thread: encode queued slots in order until stopped with nothing queued. */
static void *pipeline_run(void *opaque) {
    pipeline *p = opaque;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (p->encoded == p->queued && !p->stopping) {
            p->idle = true;
            pthread_cond_wait(&p->work, &p->lock);
            p->idle = false;
        }
        if (p->encoded == p->queued) break;
        pipeline_slot *slot = &p->slots[p->encoded % PIPELINE_SLOTS];
        pthread_mutex_unlock(&p->lock);
        encode_span(p->encoding, &slot->encoded, &slot->span);
        pthread_mutex_lock(&p->lock);
        p->encoded++;
        if (p->waiting) pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

/* Start the encoding thread, with every signal blocked in it (handlers run on the caller's
 * threads). NULL when no thread can be started: spans are then encoded by exporter_add. */
static pipeline *pipeline_start(export_encoding encoding) {
    pipeline *p = xcalloc(1, sizeof *p);
    p->encoding = encoding;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    int rc = pthread_create(&p->thread, NULL, pipeline_run, p);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    if (rc == 0) return p;
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->work);
    pthread_mutex_destroy(&p->lock);
    free(p);
    return NULL;
}

/* Wake the encoding thread if it waits for work (the lock held). */
static void wake_locked(pipeline *p) {
    if (p->idle) pthread_cond_signal(&p->work);
}

/* Hand span over to the encoding thread (the caller made room: see exporter_add). An idle
 * thread is woken once a few spans wait, or when the caller is about to wait for it. */
static void pipeline_queue(pipeline *p, const span_t *span) {
    pipeline_slot *slot = &p->slots[p->queued % PIPELINE_SLOTS];
    copy_span(slot, span);
    pthread_mutex_lock(&p->lock);
    p->queued++;
    p->queued_bytes += slot->copy_bytes;
    if (p->queued - p->encoded >= PIPELINE_WAKE_SPANS || p->queued_bytes >= PIPELINE_WAKE_BYTES)
        wake_locked(p);
    pthread_mutex_unlock(&p->lock);
}

/* The oldest span not taken back, once encoded (waiting for it when wait is set), or NULL:
 * nothing is queued, or it is not encoded yet and wait is not set. Hand it back with
 * pipeline_release. */
static pipeline_slot *pipeline_oldest(pipeline *p, bool wait) {
    pipeline_slot *slot = NULL;
    pthread_mutex_lock(&p->lock);
    if (p->taken < p->queued) {
        if (wait && p->encoded == p->taken) wake_locked(p);
        while (wait && p->encoded == p->taken) {
            p->waiting = true;
            pthread_cond_wait(&p->done, &p->lock);
            p->waiting = false;
        }
        if (p->encoded > p->taken) slot = &p->slots[p->taken % PIPELINE_SLOTS];
    }
    pthread_mutex_unlock(&p->lock);
    return slot;
}

/* Free the oldest slot (from pipeline_oldest) for a new span. */
static void pipeline_release(pipeline *p, pipeline_slot *slot) {
    arena_reset(&slot->arena);
    pthread_mutex_lock(&p->lock);
    p->taken++;
    p->queued_bytes -= slot->copy_bytes;
    pthread_mutex_unlock(&p->lock);
}

/* True when a new span must wait for room: every slot is in use, or the copies already
 * queued hold PIPELINE_MAX_BYTES (one span is always let through). */
static bool pipeline_full(pipeline *p) {
    pthread_mutex_lock(&p->lock);
    bool full = p->queued - p->taken == PIPELINE_SLOTS ||
                (p->queued > p->taken && p->queued_bytes >= PIPELINE_MAX_BYTES);
    pthread_mutex_unlock(&p->lock);
    return full;
}

/* End the encoding thread once it has encoded what is queued, and release everything
 * (spans not taken back are dropped). NULL-safe. */
static void pipeline_stop(pipeline *p) {
    if (!p) return;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_signal(&p->work);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    for (size_t i = 0; i < PIPELINE_SLOTS; i++) {
        arena_free(&p->slots[i].arena);
        buf_free(&p->slots[i].encoded);
    }
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->work);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

/* ---- requests ------------------------------------------------------------------------ */

/* See exporter_internal.h. The request builder matching the encoding is set up here, and
 * the encoding thread started. */
exporter_t *exporter_create(const exporter_ops *ops, void *state, export_encoding encoding,
                            const span_resource *resource) {
    exporter_t *exporter = xcalloc(1, sizeof *exporter);
    exporter->ops = ops;
    exporter->state = state;
    exporter->encoding = encoding;
    exporter->max_request_bytes = EXPORT_CHUNK_MAX_BYTES;
    if (encoding == EXPORT_ENCODING_PROTOBUF) otlp_proto_request_init(&exporter->proto, resource);
    if (encoding == EXPORT_ENCODING_JSON) otlp_json_request_init(&exporter->json, resource);
    if (encoding != EXPORT_ENCODING_NONE) exporter->pipeline = pipeline_start(encoding);
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
        if (!exporter->ops->tally) exporter->report.spans_exported += span_count;
    } else {
        note_failure(exporter, span_count, why);
        fail(reason, "%s", why[0] ? why : "delivery failed");
    }
    chunk_reset(exporter);
    return rc == 0 ? 0 : -1;
}

/* Add span, encoded as encoded, to the request, sending the request first when the span
 * would overflow it. 0, or -1 with reason when a request sent here was not delivered. */
static int add_encoded(exporter_t *exporter, const span_t *span, const buf_t *encoded,
                       char *reason) {
    /* A span that would push the request past the byte limit starts the next request. A
     * span larger than the limit alone goes alone, or, under a hard limit, is set aside
     * in a request of its own that is never sent. */
    int rc = 0;
    size_t alone = chunk_overhead(exporter) + encoded->len + EXPORT_FRAMING_MAX;
    if (chunk_span_count(exporter) > 0 &&
        alone + chunk_span_bytes(exporter) > exporter->max_request_bytes)
        rc = flush_chunk(exporter, reason);
    chunk_add(exporter, (bt_str){encoded->data, encoded->len});
    if (exporter->hard_limit && alone > exporter->max_request_bytes) {
        char span_hex[17];
        hex_encode(span->span_id, 8, span_hex);
        int name_len = (int)(span->name.len < 60 ? span->name.len : 60);
        char why[REASON_MAX];
        fail(why, "span %s (%.*s) is %zu bytes encoded, too large for a request of at most "
                  "%zu bytes (--max-request-bytes)",
             span_hex, name_len, span->name.ptr ? span->name.ptr : "", encoded->len,
             exporter->max_request_bytes);
        /* The transport counts these spans (tally), kept or lost. */
        char kept[REASON_MAX] = "";
        if (exporter->ops->set_aside(exporter->state, chunk_finish(exporter), 1, why, kept) != 0) {
            if (!exporter->first_failure[0]) fail(exporter->first_failure, "%s", kept);
            if (rc == 0) fail(reason, "%s", kept);
            rc = -1;
        }
        chunk_reset(exporter);
        return rc;
    }
    if (chunk_span_count(exporter) >= EXPORT_CHUNK_MAX_SPANS) {
        /* When the earlier flush failed, reason keeps its words. */
        if (flush_chunk(exporter, rc == 0 ? reason : NULL) != 0) rc = -1;
    }
    return rc;
}

/* Take back encoded spans in order and add them to requests: those already encoded, or
 * with wait_for_all every span handed over. 0, or -1 with the first failure's reason. */
static int take_encoded(exporter_t *exporter, bool wait_for_all, char *reason) {
    int rc = 0;
    pipeline_slot *slot;
    while ((slot = pipeline_oldest(exporter->pipeline, wait_for_all)) != NULL) {
        if (add_encoded(exporter, &slot->span, &slot->encoded, rc == 0 ? reason : NULL) != 0)
            rc = -1;
        pipeline_release(exporter->pipeline, slot);
    }
    return rc;
}

/* See exporter.h. With the encoding thread, the span is copied and queued; encoded spans
 * queued earlier join requests here, first what is ready, then, while the queue is full,
 * the oldest as soon as it is encoded. Without it (console; no thread), the span is
 * encoded at once. */
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
    pipeline *p = exporter->pipeline;
    if (!p) {
        buf_t encoded = BUF_INIT;
        encode_span(exporter->encoding, &encoded, span);
        int rc = add_encoded(exporter, span, &encoded, reason);
        buf_free(&encoded);
        return rc;
    }
    int rc = take_encoded(exporter, false, reason);
    while (pipeline_full(p)) {
        pipeline_slot *slot = pipeline_oldest(p, true);
        if (add_encoded(exporter, &slot->span, &slot->encoded, rc == 0 ? reason : NULL) != 0)
            rc = -1;
        pipeline_release(p, slot);
    }
    pipeline_queue(p, span);
    return rc;
}

/* See exporter.h: send what is queued, close the transport, and sum up. Calling it twice
 * only reports again. */
int exporter_finish(exporter_t *exporter, export_report *report, char *reason) {
    if (!exporter->finished) {
        exporter->finished = true;
        /* A failed delivery or close is recorded in the report and first_failure. */
        if (exporter->pipeline) {
            take_encoded(exporter, true, NULL);
            pipeline_stop(exporter->pipeline);
            exporter->pipeline = NULL;
        }
        if (exporter->encoding != EXPORT_ENCODING_NONE) flush_chunk(exporter, NULL);
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

/* See exporter.h: stops the encoding thread (spans not taken back are lost), releases the
 * transport, then the request buffers. */
void exporter_free(exporter_t *exporter) {
    if (!exporter) return;
    pipeline_stop(exporter->pipeline);
    exporter->ops->free(exporter->state);
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
