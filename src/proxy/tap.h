/* The taps: which calls the proxy traces, and the tracer, the one thread that does the
 * tracing work (parsing, the store, start and collect, the export) off the forwarding path.
 * A forwarding thread only copies a tapped exchange's bytes as they pass (into a bounded
 * memory buffer, or a temporary file for result downloads) and hands the finished exchange
 * over; the tracer works through them in the order they ended. */
#ifndef BT_PROXY_TAP_H
#define BT_PROXY_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batchtrace.h"
#include "source/source.h"
#include "util/buf.h"

/* Which batch call an exchange is. */
typedef enum tap_kind {
    TAP_NONE,              /* forwarded only */
    TAP_OPENAI_UPLOAD,     /* POST /v1/files (purpose=batch: the input JSONL, multipart) */
    TAP_OPENAI_CREATE,     /* POST /v1/batches */
    TAP_OPENAI_BATCH,      /* GET /v1/batches/{id} (and its cancel) */
    TAP_OPENAI_CONTENT,    /* GET /v1/files/{id}/content */
    TAP_ANTHROPIC_CREATE,  /* POST /v1/messages/batches */
    TAP_ANTHROPIC_BATCH,   /* GET /v1/messages/batches/{id} (and its cancel) */
    TAP_ANTHROPIC_RESULTS, /* GET /v1/messages/batches/{id}/results */
} tap_kind;

/* The largest JSON answer (a batch object, a file object) a tap keeps to read. */
#define TAP_JSON_MAX (8u << 20)

/* What a path (without its query) and method are. */
tap_kind tap_classify(const char *method, const char *path);
/* Whether the answer of kind goes to a temporary file (a results download) rather than a
 * memory buffer of at most TAP_JSON_MAX. */
bool tap_tees_to_file(tap_kind kind);
/* Whether kind's request body is read by its tap (an upload, a create). */
bool tap_reads_request(tap_kind kind);

/* The parts of an upload (multipart/form-data, RFC 7578, its boundary from content_type):
 * the "purpose" part's value into purpose (cut to purpose_size - 1 bytes; "" when there is
 * none), the "file" part's bytes at [*offset, *offset + *len) of body. 0, or -1 with
 * reason (not multipart, no closing boundary, no file part). */
int tap_multipart_file(const char *content_type, const char *body, size_t body_len,
                       char *purpose, size_t purpose_size, uint64_t *offset, uint64_t *len,
                       char *reason);

/* A finished exchange of a tapped call that ended well (a 2xx answer passed on whole),
 * handed to the tracer (which owns it from then on). */
typedef struct tap_exchange {
    tap_kind kind;
    char *path;                /* without the query; owned */
    char *content_type;        /* the request's Content-Type, or NULL; owned */
    char traceparent[56];      /* the request's W3C traceparent when valid, else "" */
    source_t request_body;     /* the request's bytes (a spool), or closed (fd -1) */
    buf_t response_json;       /* the answer, when not teed to a file */
    source_t response_file;    /* the answer, when teed to a file (a spool) */
} tap_exchange;

/* Free an exchange (NULL-safe). */
void tap_exchange_free(tap_exchange *exchange);

/* The tracer thread and its queue. */
typedef struct tracer tracer;

/* Start the tracer: collect holds the export settings and store of every start and
 * collect. NULL with reason when the thread cannot start. */
tracer *tracer_start(const batchtrace_collect_options *collect, char *reason);
/* Queue a finished exchange for the tracer (it owns it from now). Never blocks on tracing
 * work (the queue is a list). */
void tracer_submit(tracer *t, tap_exchange *exchange);
/* Finish every queued exchange, stop the thread and free it (NULL-safe). */
void tracer_finish(tracer *t);

#endif
