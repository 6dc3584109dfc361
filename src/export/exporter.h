/* Exporters take finished spans and deliver them: `file` (OTLP/JSON lines), `console`
 * (a readable line per span) and `otlp` (OTLP/HTTP, protobuf or JSON). An exporter knows
 * nothing of providers. Spans are handed over one at a time and encoded at once, so the
 * caller may reset the span's arena right after exporter_add returns. */
#ifndef BT_EXPORT_EXPORTER_H
#define BT_EXPORT_EXPORTER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "span/span.h"
#include "util/reason.h"

typedef enum otlp_protocol {
    OTLP_HTTP_PROTOBUF,
    OTLP_HTTP_JSON,
} otlp_protocol;

/* How the otlp exporter reaches its endpoint. Strings are borrowed for exporter_new. */
typedef struct otlp_config {
    const char *traces_url;       /* full URL, ".../v1/traces" already appended */
    otlp_protocol protocol;
    const char *const *headers;   /* "Name: value" lines, NULL-terminated array, may be NULL */
    long timeout_ms;              /* per request; 10000 by default */
} otlp_config;

typedef struct exporter exporter_t;

/* What an exporter did, for the summary. */
typedef struct export_report {
    uint64_t spans_exported;      /* spans the destination accepted */
    uint64_t spans_failed;        /* spans that could not be delivered */
} export_report;

/* A file exporter writing OTLP/JSON lines (one ExportTraceServiceRequest per line, up to
 * 512 spans or 1 MiB each) to path, truncating it. NULL with reason on failure. */
exporter_t *exporter_file_new(const char *path, const span_resource *resource, char *reason);
/* A console exporter writing one readable line per span to out (borrowed). */
exporter_t *exporter_console_new(FILE *out, const span_resource *resource);
/* An OTLP/HTTP exporter. Requests are sent as they fill (up to 512 spans or 1 MiB). */
exporter_t *exporter_otlp_new(const otlp_config *config, const span_resource *resource,
                              char *reason);
/* Encode and queue (or write) one span. -1 with reason on a failure that loses spans: a
 * request sent during this call was not delivered (its spans count in spans_failed). */
int exporter_add(exporter_t *exporter, const span_t *span, char *reason);
/* Deliver everything still queued and fill report. -1 with reason when some spans could not
 * be delivered (report says how many). */
int exporter_finish(exporter_t *exporter, export_report *report, char *reason);
/* Release the exporter (NULL-safe). Call exporter_finish first, or queued spans are lost. */
void exporter_free(exporter_t *exporter);

#endif
