/* Exporters take finished spans and deliver them: `file` (OTLP/JSON lines), `console`
 * (a readable line per span) and `otlp` (OTLP/HTTP, protobuf or JSON). An exporter knows
 * nothing of providers. Spans are encoded (on any thread) and added one at a time, in
 * order, on one thread; nothing of a span is kept once it is added. */
#ifndef BT_EXPORT_EXPORTER_H
#define BT_EXPORT_EXPORTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "batchtrace.h"
#include "span/span.h"
#include "util/buf.h"
#include "util/reason.h"

typedef enum otlp_protocol {
    OTLP_HTTP_PROTOBUF,
    OTLP_HTTP_JSON,
} otlp_protocol;

/* Told about each export problem as it happens (a request refused, spans spooled), in
 * words for a person; never carries a header value. severity is BATCHTRACE_ERROR when
 * spans are lost (neither delivered nor spooled), else BATCHTRACE_WARNING. */
typedef void (*export_notice_fn)(void *ctx, batchtrace_severity severity, const char *message);

/* Defaults of the otlp exporter's limits (SPEC section 6). */
#define OTLP_DEFAULT_MAX_REQUEST_BYTES (4u * 1024 * 1024)
/* Two: each request in flight holds its body (up to max_request_bytes) and libcurl's upload
 * buffer, about 4.4 MiB at the defaults; with four, a backend slow to answer (150 ms a
 * request) took a collect's peak RSS to 48.5 MiB, over issue 20's 48, where two stay at
 * 39.3 MiB. Against a fast one, two and four measure the same (docs/design.md, Export). */
#define OTLP_DEFAULT_MAX_IN_FLIGHT 2u
#define OTLP_DEFAULT_TIMEOUT_MS 10000L          /* one request (OTEL_EXPORTER_OTLP_TIMEOUT) */
#define OTLP_DEFAULT_EXPORT_TIMEOUT_MS 30000L   /* one request's delivery, retries included */

/* How the otlp exporter reaches its endpoint. Strings are borrowed for exporter_new. */
typedef struct otlp_config {
    const char *traces_url;       /* full URL, ".../v1/traces" already appended */
    otlp_protocol protocol;
    const char *const *headers;   /* "Name: value" lines, NULL-terminated array, may be NULL */
    long timeout_ms;              /* per request; 10000 by default */
    int gzip;                     /* non-zero: Content-Encoding: gzip */
    size_t max_request_bytes;     /* no request body sent is larger; 0: 4 MiB */
    unsigned max_in_flight;       /* requests being sent or waiting to retry; 0: 2 */
    long export_timeout_ms;       /* how long one request may take to deliver, retries
                                     included; 0: 30 s */
    const char *store_url;        /* the store whose spool takes what cannot be delivered
                                     (resolved, see store.h); NULL: no spool */
    const char *braintrust_parent;/* sent as x-bt-parent and kept with spooled requests */
    export_notice_fn on_notice;   /* may be NULL */
    void *notice_ctx;             /* handed to on_notice */
} otlp_config;

typedef struct exporter exporter_t;

/* What an exporter did, for the summary. */
typedef struct export_report {
    uint64_t spans_exported;      /* spans the destination accepted */
    uint64_t spans_failed;        /* spans that could not be delivered (spooled or lost) */
} export_report;

/* What the otlp exporter did beyond that (zero for the others). */
typedef struct export_details {
    uint64_t spans_spooled;       /* of spans_failed, spans kept in the spool for flush */
    uint64_t spans_rejected;      /* spans a server received but refused to keep (OTLP
                                     partial_success); neither exported nor spooled */
    int interrupted;              /* non-zero: an interruption (exporter_interrupt) cut
                                     sending short and the rest was spooled */
    const char *store_url;        /* the spool's store when spans_spooled > 0, else NULL;
                                     borrowed from the exporter */
} export_details;

/* A file exporter appending OTLP/JSON lines (one ExportTraceServiceRequest per line, up to
 * 4096 spans or 1 MiB each) to path, which it creates (or, with truncate, empties) only
 * when the first request is written; lines of processes appending at once never mix.
 * NULL with reason when path cannot be written. */
exporter_t *exporter_file_new(const char *path, bool truncate, const span_resource *resource,
                              char *reason);
/* A console exporter writing one readable line per span to out (borrowed). */
exporter_t *exporter_console_new(FILE *out, const span_resource *resource);
/* An exporter that delivers nothing and drops every span (`batchtrace report` reads a batch
 * without exporting it). Never NULL. */
exporter_t *exporter_discard_new(void);
/* An OTLP/HTTP exporter. Requests are sent as they fill (up to 4096 spans or
 * max_request_bytes), several at once, retried on transient failures; what cannot be
 * delivered goes to the spool of config->store_url. */
exporter_t *exporter_otlp_new(const otlp_config *config, const span_resource *resource,
                              char *reason);
/* Encode span as this exporter sends it (OTLP protobuf or JSON, or the console's line),
 * appended to out. Reads nothing the exporter changes: any thread may call it, several at
 * once, while another thread adds spans. */
void exporter_encode(const exporter_t *exporter, const span_t *span, buf_t *out);
/* Add a span that exporter_encode encoded as encoded (copied; span_id and name only name
 * the span in messages; tag is the caller's, handed back by the outcome callback). Spans
 * join requests in the order they are added; a full request is sent during the call. -1
 * with reason on a failure that loses spans: a request sent during this call was not
 * delivered (its spans count in spans_failed). */
int exporter_add_encoded(exporter_t *exporter, const uint8_t span_id[8], bt_str name,
                         bt_str encoded, uint64_t tag, char *reason);
/* Encode span and add it with tag (exporter_encode, then exporter_add_encoded). The span
 * is not kept: the caller may reset its arena at once. */
int exporter_add_tagged(exporter_t *exporter, const span_t *span, uint64_t tag, char *reason);
/* exporter_add_tagged with tag 0, for callers that do not follow outcomes. */
int exporter_add(exporter_t *exporter, const span_t *span, char *reason);

/* What became of the spans of one request (or, for the console, of the spans written
 * since the last report). */
typedef enum export_outcome {
    EXPORT_DELIVERED,             /* the destination took them: an OTLP 2xx (partial_success
                                     included: OTLP forbids sending those again), the file
                                     written and synced (fdatasync), the console written
                                     and flushed */
    EXPORT_SPOOLED,               /* committed to the store's spool, for flush */
    EXPORT_LOST,                  /* neither: the run that added them must not count them
                                     as sent */
} export_outcome;
/* Told, on the thread that adds spans (during exporter_add_* or exporter_finish), the tags
 * of the spans of a request whose outcome is final. */
typedef void (*export_outcome_fn)(void *ctx, const uint64_t *tags, size_t count,
                                  export_outcome outcome);
/* Follow outcomes from now on (set before the first span is added). The file exporter
 * then syncs what it wrote to the disk before reporting it, once per 4096 spans written
 * (whole requests) and at the end; the console flushes its stream every 4096 spans. */
void exporter_on_outcome(exporter_t *exporter, export_outcome_fn fn, void *ctx);
/* A span written ahead of its sending (start's submit span, see docs/design.md "Crash
 * safety"): its request, encoded as the exporter sends it, for the caller to keep in the
 * store's spool before sending it with exporter_add_spooled. */
typedef struct export_ahead {
    buf_t body;                   /* the whole ExportTraceServiceRequest; owned */
    const char *protocol;         /* "http/protobuf" | "http/json" */
    const char *braintrust_parent;/* the x-bt-parent it goes with, or NULL; borrowed from
                                     the exporter */
} export_ahead;

/* For an exporter that keeps what it cannot deliver in the spool (otlp): encode span alone
 * as a request into ahead (its body cleared first). 0, or -1 when the exporter has no
 * spool (file, console: add the span as any other) or spans were added already. */
int exporter_encode_ahead(exporter_t *exporter, const span_t *span, export_ahead *ahead);
/* Send the request of ahead, which the store's spool holds as spool_id under the caller's
 * run: deleted from the spool once accepted, given back there (for flush) when not;
 * counted like any request. 0, or -1 with reason when it was not delivered. */
int exporter_add_spooled(exporter_t *exporter, const export_ahead *ahead, int64_t spool_id,
                         char *reason);

/* Deliver everything still waiting and fill report. -1 with reason when some spans could not
 * be delivered (report says how many). */
int exporter_finish(exporter_t *exporter, export_report *report, char *reason);
/* The details of what a finished exporter did (see export_details). */
void exporter_details(const exporter_t *exporter, export_details *details);
/* Release the exporter (NULL-safe). Call exporter_finish first, or queued spans are lost. */
void exporter_free(exporter_t *exporter);

/* Ask every exporter of the process to stop sending: requests on the wire get a short
 * grace, everything else goes to the spool. Async-signal-safe (a SIGINT handler may call
 * it); it cannot be undone. Non-zero when an OTLP sender is alive to act on it, 0 when
 * none is (nothing is in flight: the caller may end the process as it would have). */
int exporter_interrupt(void);
/* True once exporter_interrupt was called. */
int exporter_interrupted(void);
/* An OTLP sender starts (watching true) or stops (false) acting on interruptions. */
void exporter_watch_interrupts(int watching);

#endif
