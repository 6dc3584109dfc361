/* What the exporter's shared part (exporter.c: encoding, chunking, counting) needs from a
 * transport (file.c, http.c, console.c). A transport only delivers finished requests, or,
 * for the console, formats and writes spans one by one; it never encodes OTLP itself. */
#ifndef BT_EXPORT_EXPORTER_INTERNAL_H
#define BT_EXPORT_EXPORTER_INTERNAL_H

#include "export/exporter.h"
#include "util/str.h"

/* Most spans in one request: high enough that the byte limit decides for real spans, so
 * the memory of requests in flight does not grow with the size of the spans. */
#define EXPORT_CHUNK_MAX_SPANS 4096
/* Most bytes of encoded spans in one request (a larger single span goes alone). */
#define EXPORT_CHUNK_MAX_BYTES (1024 * 1024)

/* How many bytes of spans are added between two calls of exporter_ops.pump. */
#define EXPORT_PUMP_BYTES (512 * 1024)
/* With outcomes followed, a transport without tally (the file) is synced and its spans
 * reported delivered once this many wait, and at the end (exporter.c, flush_chunk). */
#define EXPORT_SYNC_SPANS 4096

/* How spans are encoded before they reach the transport. */
typedef enum export_encoding {
    EXPORT_ENCODING_NONE,      /* no OTLP: format_span, then write_text per span (console) */
    EXPORT_ENCODING_PROTOBUF,  /* requests are ExportTraceServiceRequest in protobuf */
    EXPORT_ENCODING_JSON,      /* requests are ExportTraceServiceRequest in OTLP/JSON */
} export_encoding;

/* A transport's functions; state is the transport's own data. */
typedef struct exporter_ops {
    /* Deliver one request of span_count spans. request lies in storage, the exporter's
     * buffer, which the transport may take instead of copying the request: it then swaps
     * another buffer into *storage (empty, or one it is done with), which the exporter
     * reuses. 0 when the destination took it (or, for a transport with tally, when the
     * transport took charge of it); -1 with reason when it did not (the shared part counts
     * the spans as failed). tags (tag_count of them, 0 when nobody follows outcomes) are
     * the spans' tags: a transport with tally reports their outcome itself through
     * exporter_report_outcome. NULL for EXPORT_ENCODING_NONE. */
    int (*deliver)(void *state, bt_str request, buf_t *storage, size_t span_count,
                   const uint64_t *tags, size_t tag_count, char *reason);
    /* Keep a request that must not be sent (a span larger than the request limit alone):
     * 0 when kept (spooled), -1 with reason. Only for transports with tally, which count
     * these spans too; NULL when the transport sets no hard limit. */
    int (*set_aside)(void *state, bt_str request, size_t span_count, const char *why,
                     const uint64_t *tags, size_t tag_count, char *reason);
    /* Add what the transport delivered, spooled and lost to report and details, after
     * close. NULL: the shared part counts deliver's answers itself. */
    void (*tally)(void *state, export_report *report, export_details *details);
    /* Append the text that stands for span to out (EXPORT_ENCODING_NONE only, else NULL).
     * Called from any thread: it must not touch the transport's state. */
    void (*format_span)(buf_t *out, const span_t *span);
    /* Write one span's text from format_span (EXPORT_ENCODING_NONE only, else NULL): 0,
     * or -1 with reason. */
    int (*write_text)(void *state, bt_str text, char *reason);
    /* Send a request the spool holds as spool_id (deleted once accepted, given back when
     * not); the transport counts it (tally). NULL for transports without a spool. */
    void (*send_spooled)(void *state, bt_str request, size_t span_count, int64_t spool_id);
    /* The x-bt-parent requests go with, or NULL (transports with send_spooled). */
    const char *(*braintrust_parent)(void *state);
    /* Make what was delivered or written so far durable (file: fdatasync; console:
     * fflush), before its outcome is reported as delivered. 0, or -1 with reason. May be
     * NULL (nothing to do). */
    int (*sync)(void *state, char *reason);
    /* Start what sync does in the background (file: fdatasync on a thread of its own) for
     * what was written so far, while later requests are written; sync_wait waits for it.
     * Both NULL: sync runs in the caller's thread. */
    void (*sync_start)(void *state);
    /* Wait for what sync_start began: 0, or -1 with reason, as sync. */
    int (*sync_wait)(void *state, char *reason);
    /* Move the requests under way along without waiting: called each EXPORT_PUMP_BYTES of
     * spans added, so that sending overlaps filling the next request. NULL: nothing to do. */
    void (*pump)(void *state);
    /* After the last delivery: flush and close. 0, or -1 with reason. May be NULL. */
    int (*close)(void *state, char *reason);
    /* Release state (also when close was never called). */
    void (*free)(void *state);
} exporter_ops;

/* An exporter over a transport: takes ownership of state (released through ops->free,
 * also if this fails). resource is encoded at once and not kept. Requests hold at most
 * EXPORT_CHUNK_MAX_BYTES, a larger span alone. Never NULL. */
exporter_t *exporter_create(const exporter_ops *ops, void *state, export_encoding encoding,
                            const span_resource *resource);
/* Make max_bytes a hard limit on every request's encoded size (the whole
 * ExportTraceServiceRequest): a span that cannot fit a request alone is handed to
 * ops->set_aside instead of being sent. */
void exporter_set_request_limit(exporter_t *exporter, size_t max_bytes);
/* Tell the outcome callback (if any) the final outcome of the spans of tags: for transports
 * with tally, which learn it after deliver returned. */
void exporter_report_outcome(exporter_t *exporter, const uint64_t *tags, size_t count,
                             export_outcome outcome);

#endif
