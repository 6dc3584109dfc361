/* libbatchtrace: turn LLM batch-API jobs into OpenTelemetry traces.
 *
 * One call collects a batch: it reads the provider's result files (and, when given, the
 * original inputs and the batch object), correlates them by custom_id, and exports one task
 * span plus one GenAI LLM span per item. Conventions of this API:
 *   - functions return 0 (or a positive count) on success and a negative BATCHTRACE_E* code
 *     on failure; batchtrace_last_error() then says why (thread-local, never NULL);
 *   - results come back through an out-parameter placed first, and the caller releases
 *     them with the matching NULL-safe *_free function;
 *   - option structs are versioned: initialize them with their *_INIT macro. */
#ifndef BATCHTRACE_H
#define BATCHTRACE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes. */
#define BATCHTRACE_OK 0
#define BATCHTRACE_EUSAGE (-1)  /* an option is invalid (the CLI exits 2) */
#define BATCHTRACE_EFATAL (-2)  /* nothing could be processed: unreadable file, ... (exit 1) */

/* Exit codes of a run, most severe first (SPEC section 8). */
#define BATCHTRACE_EXIT_OK 0
#define BATCHTRACE_EXIT_FATAL 1
#define BATCHTRACE_EXIT_USAGE 2
#define BATCHTRACE_EXIT_REJECTED 3
#define BATCHTRACE_EXIT_INCOMPLETE 4
#define BATCHTRACE_EXIT_EXPORT_FAILED 5

/* The library's version, e.g. "0.1.0". */
const char *batchtrace_version(void);
/* Why the last call on this thread failed. Never NULL. */
const char *batchtrace_last_error(void);

typedef enum batchtrace_severity {
    BATCHTRACE_REJECTED = 1, /* a line was skipped: the run exits 3 */
    BATCHTRACE_WARNING = 2   /* something is off, nothing was lost */
} batchtrace_severity;

/* Called for each diagnostic as it happens. file is "" and line 0 when not about a line. */
typedef void (*batchtrace_diagnostic_fn)(void *ctx, batchtrace_severity severity,
                                         const char *file, uint64_t line,
                                         const char *reason);
/* Called now and then during long work: bytes read of the results so far, their total
 * (0 when unknown), and the items exported so far. */
typedef void (*batchtrace_progress_fn)(void *ctx, uint64_t bytes_done, uint64_t bytes_total,
                                       uint64_t items_done);

#define BATCHTRACE_COLLECT_OPTIONS_VERSION 1

typedef struct batchtrace_collect_options {
    unsigned int version;              /* BATCHTRACE_COLLECT_OPTIONS_VERSION */
    const char *const *results_paths;  /* result files (OpenAI output and error files, ...) */
    size_t results_count;
    const char *batch_path;            /* the provider's batch object (JSON), or NULL */
    const char *input_path;            /* the batch's request records, or NULL */
    const char *provider;              /* "openai" | "anthropic"; NULL: detect from content */
    const char *parent;                /* W3C traceparent of the caller, or NULL */
    const char *trace_id;              /* 32 hex digits: a root task in this trace, or NULL */
    const char *exporter;              /* "otlp" | "file" | "console"; NULL: from the
                                          environment, else the file exporter */
    const char *output_path;           /* file exporter path; NULL: ./batchtrace-spans.jsonl */
    const char *endpoint;              /* OTLP base URL; NULL: OTEL_EXPORTER_OTLP_* */
    const char *protocol;              /* "http/protobuf" | "http/json"; NULL: environment */
    int no_content;                    /* non-zero: drop message and tool content */
    batchtrace_diagnostic_fn on_diagnostic; /* may be NULL */
    batchtrace_progress_fn on_progress;     /* may be NULL */
    void *callback_ctx;                /* handed to both callbacks */
} batchtrace_collect_options;

#define BATCHTRACE_COLLECT_OPTIONS_INIT {BATCHTRACE_COLLECT_OPTIONS_VERSION, NULL, 0, NULL, NULL, \
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL}

/* One diagnostic kept in a summary. */
typedef struct batchtrace_diagnostic {
    const char *file;                  /* "" when about no file */
    uint64_t line;                     /* 0 when about no line */
    const char *reason;
} batchtrace_diagnostic;

/* What a collect run did. Owned by the library: release with batchtrace_summary_free. */
typedef struct batchtrace_summary {
    int exit_code;                     /* BATCHTRACE_EXIT_* */
    const char *provider;              /* "openai", "anthropic", or "" when unknown */
    const char *batch_id;              /* "" when unknown */
    const char *batch_status;          /* the provider's status, "" without a batch object */
    char trace_id[33];                 /* hex */
    char task_span_id[17];             /* hex; "" when the task span was not exported */
    uint64_t spans_exported;           /* spans the exporter delivered */
    uint64_t spans_failed;             /* spans it could not deliver */
    struct {
        uint64_t total, succeeded, errored, canceled, expired, missing;
    } items;                           /* missing: inputs with no result (yet) */
    struct {
        int64_t input, output, cache_read, cache_creation, reasoning;
    } tokens;
    const batchtrace_diagnostic *rejected; /* the first 1000 rejected lines */
    size_t rejected_kept;
    uint64_t rejected_count;           /* all of them */
    const batchtrace_diagnostic *warnings; /* the first 1000 warnings */
    size_t warnings_kept;
    uint64_t warnings_count;
    const char *destination;           /* where the spans went, for a person */
    const char *outcome;               /* one sentence on the batch's state, for a person */
} batchtrace_summary;

/* Collect a batch and export its spans. On return *out holds the summary (also when the run
 * failed; its exit_code says how). Returns 0 when the run took place (whatever its exit
 * code), BATCHTRACE_EUSAGE or BATCHTRACE_EFATAL otherwise (see batchtrace_last_error). */
int batchtrace_collect(batchtrace_summary **out, const batchtrace_collect_options *options);

/* The summary as one JSON object (SPEC section 8), NUL-terminated; the caller frees it with
 * free(). */
char *batchtrace_summary_json(const batchtrace_summary *summary);

/* Release a summary (NULL-safe). */
void batchtrace_summary_free(batchtrace_summary *summary);

#ifdef __cplusplus
}
#endif

#endif
