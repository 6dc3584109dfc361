/* Choosing and configuring the exporter from flags and the standard OTEL_* variables
 * (flags win). The only place that reads those variables for export. */
#ifndef BT_EXPORT_SELECT_H
#define BT_EXPORT_SELECT_H

#include "export/exporter.h"

/* What the caller asked for; NULL fields fall back to the environment, then defaults. */
typedef struct export_request {
    const char *exporter;     /* "otlp" | "file" | "console" */
    const char *output_path;  /* file exporter */
    const char *endpoint;     /* OTLP base URL ("/v1/traces" is appended) */
    const char *protocol;     /* "http/protobuf" | "http/json" */
} export_request;

/* Build the exporter. *destination gets a malloc'd description for a person ("OTLP/JSON
 * lines in ./batchtrace-spans.jsonl", "http://...:4318/v1/traces (http/protobuf)").
 * NULL with reason on failure; *usage_error is set when the fault is in the options. */
exporter_t *export_select(const export_request *request, const span_resource *resource,
                          char **destination, int *usage_error, char *reason);

#endif
