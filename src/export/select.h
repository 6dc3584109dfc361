/* Choosing and configuring the exporter from flags and the standard OTEL_* variables
 * (flags win), and the Braintrust preset. The only place that reads those variables for
 * export. */
#ifndef BT_EXPORT_SELECT_H
#define BT_EXPORT_SELECT_H

#include <stdbool.h>
#include <stdint.h>

#include "export/exporter.h"

/* Smallest --max-request-bytes: room for the resource, the scope and a small span. */
#define EXPORT_MIN_REQUEST_BYTES 1024
/* Most --max-in-flight. */
#define EXPORT_MAX_IN_FLIGHT 64

/* A file the run reads, which the file exporter must never write into. */
typedef struct export_input_file {
    const char *role;              /* what it is, for the message ("the results file") */
    const char *option;            /* the option that named it ("--results") */
    const char *path;
} export_input_file;

/* What the caller asked for; NULL (or 0) fields fall back to the environment, then
 * defaults. */
typedef struct export_request {
    const char *exporter;          /* "otlp" | "file" | "console" */
    const char *output_path;       /* file exporter */
    const char *endpoint;          /* OTLP base URL ("/v1/traces" is appended) */
    const char *protocol;          /* "http/protobuf" | "http/json" */
    const char *store_url;         /* the spool's store; NULL: BATCHTRACE_STORE, default */
    uint64_t max_request_bytes;    /* 0: 4 MiB */
    unsigned max_in_flight;        /* 0: 2 */
    double export_timeout_s;       /* 0: 30 */
    const char *braintrust_parent; /* NULL: BRAINTRUST_PARENT */
    export_notice_fn on_notice;    /* the otlp exporter's notices; may be NULL */
    void *notice_ctx;
    bool parent_optional;          /* the preset may go without a parent (flush: each
                                      spooled request keeps its own) */
    bool truncate_output;          /* file exporter: empty the file at the first write
                                      rather than append to it */
    const export_input_file *inputs; /* files the output must not be (same device and
                                      inode); may be NULL */
    size_t input_count;
} export_request;

/* Build the exporter. *destination gets a malloc'd description for a person ("OTLP/JSON
 * lines in ./batchtrace-spans.jsonl", "http://...:4318/v1/traces (http/protobuf)"), never
 * with a credential. NULL with reason on failure; *usage_error is set when the fault is in
 * the options or the environment (an output file that is one of request->inputs, by
 * device and inode, is one: nothing is written). */
exporter_t *export_select(const export_request *request, const span_resource *resource,
                          char **destination, int *usage_error, char *reason);

/* True when the Braintrust preset applies: BRAINTRUST_API_KEY is set, the exporter is
 * otlp (asked for, or chosen by default), and no endpoint is given by --endpoint or
 * OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT. It exports to $BRAINTRUST_API_URL/otel/v1/traces
 * and turns on the braintrust convention. */
bool export_braintrust_preset(const export_request *request);

/* An otlp exporter's configuration with the storage it borrows from. */
typedef struct otlp_settings {
    otlp_config config;    /* what exporter_otlp_new and otlp_sender_new take */
    char *url;             /* owned storage of config's strings */
    char **headers;
    char *store_url;
    char *braintrust_parent;
    char *destination;     /* for a person: the URL (no credentials) and protocol */
} otlp_settings;

/* The otlp configuration request and the environment give (flush uses it directly). -1
 * with reason when there is no endpoint or a setting is invalid (*usage_error then set;
 * unset when the store could not be resolved for another reason). */
int export_otlp_settings(const export_request *request, otlp_settings *out, int *usage_error,
                         char *reason);
/* Free what export_otlp_settings allocated. */
void otlp_settings_free(otlp_settings *settings);

#endif
