/* The OTLP/HTTP sender: POSTs encoded ExportTraceServiceRequests to a traces URL over
 * libcurl's multi interface, several at once, and sees each one through to a final
 * outcome: accepted (its partial_success read), or, after the retries the policy of
 * retry.h allows within the export timeout, not delivered, and then kept in the store's
 * spool (or, for a request that came from the spool, left there). A request the server
 * accepted is never sent again. It knows nothing of spans: the exporter (exporter.c) and
 * `batchtrace flush` (flush.c) hand it finished requests. Header values are never
 * printed in any message. */
#ifndef BT_EXPORT_HTTP_H
#define BT_EXPORT_HTTP_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "export/exporter.h"
#include "util/str.h"

/* Bytes of a response body kept (the rest is read and dropped). */
#define HTTP_RESPONSE_KEEP (64 * 1024)
/* How long requests on the wire may still run after an interruption. */
#define HTTP_INTERRUPT_GRACE_MS 3000

typedef struct otlp_sender otlp_sender;

/* One request to send. */
typedef struct otlp_request {
    bt_str body;                    /* the encoded request, uncompressed */
    size_t span_count;              /* spans in it */
    otlp_protocol protocol;         /* its encoding, which sets Content-Type */
    const char *braintrust_parent;  /* x-bt-parent for it (NULL: the configuration's) */
    int64_t spool_id;               /* > 0: it came from the spool (deleted once accepted,
                                       released when not); 0: spooled when not delivered */
    buf_t *storage;                 /* NULL: body is copied. Else the buffer body lies in,
                                       which the sender takes (no copy), leaving in its
                                       place a buffer it is done with, or an empty one */
    const uint64_t *tags;           /* the spans' tags (copied), handed to the outcome
                                       callback; NULL when nobody follows them */
    size_t tag_count;
} otlp_request;

/* A sender for config (strings copied; config's defaults applied). Nothing is sent yet.
 * NULL with reason when libcurl cannot start or a header line is malformed (the message
 * gives the header's position, never its name or value). */
otlp_sender *otlp_sender_new(const otlp_config *config, char *reason);
/* Send request, or, once the sender has stopped (see otlp_sender_stopped), spool it at
 * once. Blocks while max_in_flight requests are under way. */
void otlp_sender_submit(otlp_sender *sender, const otlp_request *request);
/* Move the requests under way along (send what their sockets take, judge the finished
 * ones) without waiting; outcomes may be reported from here, as from submit. */
void otlp_sender_pump(otlp_sender *sender);
/* Spool a request that must not be sent, saying why (a span too large for any request). */
void otlp_sender_set_aside(otlp_sender *sender, const otlp_request *request, const char *why);
/* Tell fn (on the thread that calls the sender) the tags of each request once its outcome
 * is final: accepted (delivered), spooled, or lost. */
void otlp_sender_on_outcome(otlp_sender *sender, export_outcome_fn fn, void *ctx);
/* Wait until every request has its final outcome. */
void otlp_sender_drain(otlp_sender *sender);
/* True once the sender stopped sending: a request ran out of time (the endpoint is down
 * or overloaded) or the process was interrupted. Later requests go to the spool. */
bool otlp_sender_stopped(const otlp_sender *sender);
/* Add the outcomes so far to report (exported, failed) and details (spooled, rejected,
 * interrupted). */
void otlp_sender_tally(const otlp_sender *sender, export_report *report,
                       export_details *details);
/* The configured x-bt-parent, or NULL. */
const char *otlp_sender_braintrust_parent(const otlp_sender *sender);
/* Why the first request failed, or why spans were rejected; "" when nothing went wrong. */
const char *otlp_sender_first_failure(const otlp_sender *sender);
/* Initialize libcurl once per process, for every user of it (the sender, `sync`'s
 * downloads). 0, or -1 with reason. */
int http_libcurl_ready(char *reason);
/* Let easy speak HTTP and HTTPS only (no file://, no other scheme a URL may name). */
CURLcode http_web_protocols_only(CURL *easy);
/* Check that line looks like "Name: value" with no line break. 0, or -1 with a reason that
 * gives the header's position (index + 1) only: its name may be a secret too. */
int http_check_header_line(const char *line, size_t index, char *reason);
/* Release the sender (NULL-safe); drain it first, or requests under way are dropped. */
void otlp_sender_free(otlp_sender *sender);

#endif
