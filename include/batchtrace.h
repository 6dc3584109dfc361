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

/* Everything declared here is the shared library's interface; the rest of libbatchtrace
 * is built with hidden visibility. */
#if defined(__GNUC__)
#pragma GCC visibility push(default)
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
    BATCHTRACE_WARNING = 2,  /* something is off, nothing was lost */
    BATCHTRACE_ERROR = 3     /* spans were lost or not delivered: never to be hidden (kept
                                with the warnings in a summary) */
} batchtrace_severity;

/* Called for each diagnostic as it happens. file is "" and line 0 when not about a line. */
typedef void (*batchtrace_diagnostic_fn)(void *ctx, batchtrace_severity severity,
                                         const char *file, uint64_t line,
                                         const char *reason);
/* Called now and then during long work: bytes read of the results so far, their total
 * (0 when unknown), and the items exported so far. */
typedef void (*batchtrace_progress_fn)(void *ctx, uint64_t bytes_done, uint64_t bytes_total,
                                       uint64_t items_done);

/* Where one input's bytes come from: a path, a buffer in memory or a callback. Collect and
 * start read every kind alike (same outcomes, span ids, limits such as max_line_bytes, and
 * diagnostics "NAME:LINE: reason", NAME being the source's name). */
typedef enum batchtrace_source_kind {
    BATCHTRACE_SOURCE_PATH = 0,     /* path: a file, "-" (stdin), a pipe, gzip data */
    BATCHTRACE_SOURCE_BUFFER = 1,   /* bytes, len: JSONL, or one JSON array of records
                                       (element N is then line N in diagnostics) */
    BATCHTRACE_SOURCE_CALLBACK = 2  /* read, read_ctx: yields lines until it returns 0 */
} batchtrace_source_kind;

/* Yields the next piece of a callback source: sets *bytes and *len to one or more whole
 * lines (a newline is added after a piece that does not end in one; an empty piece is
 * skipped) and returns 1; returns 0 at the end, or a negative value to stop the run (it
 * then fails with BATCHTRACE_EFATAL, "NAME: the callback failed": the callback keeps its
 * own account of why). The bytes are borrowed until the next call. It is called on the
 * thread that called batchtrace_collect or batchtrace_start, before any span is exported;
 * the pieces are drained once into an anonymous temporary file (the engine reads results
 * and inputs more than once), so memory does not grow with them. */
typedef int (*batchtrace_read_fn)(void *read_ctx, const char **bytes, size_t *len);

typedef struct batchtrace_source {
    batchtrace_source_kind kind;
    const char *name;                  /* for diagnostics; NULL: the path, else "<requests>",
                                          "<results>" or "<batch>" by its role */
    const char *path;                  /* BATCHTRACE_SOURCE_PATH */
    const void *bytes;                 /* BATCHTRACE_SOURCE_BUFFER: borrowed, must stay
                                          unchanged until the call returns (never copied
                                          when it is JSONL) */
    size_t len;
    batchtrace_read_fn read;           /* BATCHTRACE_SOURCE_CALLBACK */
    void *read_ctx;                    /* handed to read */
} batchtrace_source;

#define BATCHTRACE_COLLECT_OPTIONS_VERSION 1

typedef struct batchtrace_collect_options {
    unsigned int version;              /* BATCHTRACE_COLLECT_OPTIONS_VERSION */
    const char *const *results_paths;  /* result files (OpenAI output and error files, ...);
                                          each path may be "-" (stdin, for one of the paths
                                          at most), a pipe or gzip data */
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
    size_t max_line_bytes;             /* longest line (or create-body request) read; longer
                                          ones are rejected without being held in memory.
                                          0: the default, 256 MiB */
    const char *const *conventions;    /* attribute dialects added to genai: "braintrust",
                                          "openinference", "traceloop" ("genai" is always on) */
    size_t convention_count;
    size_t max_attribute_bytes;        /* cut string values longer than this (at least 16) and
                                          mark such spans batchtrace.truncated; 0: no limit */
    const char *store;                 /* state store URL, "sqlite:PATH"; NULL:
                                          $BATCHTRACE_STORE, else under $XDG_STATE_HOME */
    uint64_t max_request_bytes;        /* otlp: no request body is larger (at least 1024);
                                          0: 4 MiB */
    unsigned int max_in_flight;        /* otlp: requests sent or waiting at once (1-64); 0: 4 */
    double export_timeout;             /* otlp: seconds one request may take to deliver,
                                          retries included; 0: 30 */
    const char *braintrust_parent;     /* Braintrust preset: project_name:NAME, project_id:ID
                                          or experiment_id:ID; NULL: $BRAINTRUST_PARENT */
    const char *context;               /* the context token batchtrace_start returned, or NULL:
                                          then the batch object's metadata.batchtrace_ctx, then
                                          the batch id looked up in the store */
    const char *batch_id;              /* the provider's batch id when there is no batch
                                          object (identities and the store lookup), or NULL */
    int force;                         /* non-zero: with a context, send again the spans an
                                          earlier collect of the batch sent */
    int truncate_output;               /* file exporter: non-zero empties output_path at the
                                          first write; 0 appends to it. Either way the file
                                          is created only when there is a span to write, and
                                          an output_path that is one of the files read is
                                          refused (BATCHTRACE_EUSAGE) */
    const batchtrace_source *results_sources; /* more results, read after results_paths
                                          (borrowed for the call; each may be any kind) */
    size_t results_source_count;
    const batchtrace_source *batch_source; /* the batch object from any source, instead of
                                          batch_path (giving both is BATCHTRACE_EUSAGE) */
    const batchtrace_source *input_source; /* the requests, instead of input_path */
    const char *prices_path;           /* a price table (JSON, as data/prices.json) replacing
                                          the built-in one for batchtrace.cost.*; NULL: the
                                          built-in table */
} batchtrace_collect_options;

#define BATCHTRACE_COLLECT_OPTIONS_INIT {BATCHTRACE_COLLECT_OPTIONS_VERSION, NULL, 0, NULL, NULL, \
    NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, 0, NULL, 0, 0, NULL, 0, 0, \
    0, NULL, NULL, NULL, 0, 0, NULL, 0, NULL, NULL, NULL}

/* One diagnostic kept in a summary. */
typedef struct batchtrace_diagnostic {
    const char *file;                  /* "" when about no file */
    uint64_t line;                     /* 0 when about no line */
    const char *reason;
} batchtrace_diagnostic;

/* Failed items of one error type and message (the summary's and the report's groups). */
typedef struct batchtrace_error_group {
    const char *type;                  /* error.type, else the result ("expired", ...) */
    const char *message;               /* the provider's message, "" when none */
    uint64_t count;                    /* items in the group */
    const char *const *custom_ids;     /* the first ones (at most 3) */
    size_t custom_id_count;
} batchtrace_error_group;

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
    uint64_t spans_truncated;          /* spans with a value cut by max_attribute_bytes */
    size_t max_attribute_bytes;        /* the limit applied; 0: none (then nothing was cut) */
    uint64_t spans_spooled;            /* of spans_failed, those kept in the store's spool
                                          (send them with batchtrace_flush) */
    uint64_t spans_rejected;           /* spans the server refused in a partial success
                                          (not spooled: it did take the rest) */
    int interrupted;                   /* non-zero: batchtrace_interrupt cut the export short */
    const char *store;                 /* the spool's store URL when spans_spooled > 0, else "" */
    uint64_t items_skipped;            /* with a context: items an earlier collect exported,
                                          counted but not sent again (see force) */
    int has_cost;                      /* non-zero: at least one item was priced */
    double cost_usd;                   /* the priced items' cost at the batch price (USD) */
    double cost_saved_usd;             /* what they saved against the synchronous price */
    uint64_t items_unpriced;           /* items with tokens whose model has no price */
    const batchtrace_error_group *error_groups; /* failed items by type and message, most
                                          frequent first */
    size_t error_group_count;
    const char *report_json;           /* the batch report (`batchtrace report --json`) */
} batchtrace_summary;

/* Collect a batch and export its spans. On return *out holds the summary (also when the run
 * failed; its exit_code says how). Returns 0 when the run took place (whatever its exit
 * code), BATCHTRACE_EUSAGE or BATCHTRACE_EFATAL otherwise (see batchtrace_last_error). */
int batchtrace_collect(batchtrace_summary **out, const batchtrace_collect_options *options);

/* Read a batch as batchtrace_collect does, without exporting anything or using the store
 * (the export and lifecycle options are ignored), for its report: the summary's
 * report_json, error_groups and cost. With batch_id and neither results nor a batch
 * object, the report is the one the last collect with a context kept in the store
 * (report_json only). Returns as batchtrace_collect. */
int batchtrace_report(batchtrace_summary **out, const batchtrace_collect_options *options);

/* The summary as one JSON object (SPEC section 8), NUL-terminated; the caller frees it with
 * free(). */
char *batchtrace_summary_json(const batchtrace_summary *summary);

/* Release a summary (NULL-safe). */
void batchtrace_summary_free(batchtrace_summary *summary);

#define BATCHTRACE_FLUSH_OPTIONS_VERSION 1

/* Where and how batchtrace_flush sends what the spool holds: the otlp exporter's settings
 * of a collect run (flags, else the OTEL_* variables, else the Braintrust preset). Each
 * spooled request keeps its own encoding. */
typedef struct batchtrace_flush_options {
    unsigned int version;              /* BATCHTRACE_FLUSH_OPTIONS_VERSION */
    const char *store;                 /* as in batchtrace_collect_options */
    const char *endpoint;              /* OTLP base URL; NULL: OTEL_EXPORTER_OTLP_* */
    uint64_t max_request_bytes;        /* 0: 4 MiB; a larger spooled request stays */
    unsigned int max_in_flight;        /* 0: 4 */
    double export_timeout;             /* 0: 30 */
    const char *braintrust_parent;     /* NULL: each request's own, else $BRAINTRUST_PARENT */
    batchtrace_diagnostic_fn on_diagnostic; /* each request that failed, as it happens */
    void *callback_ctx;
} batchtrace_flush_options;

#define BATCHTRACE_FLUSH_OPTIONS_INIT {BATCHTRACE_FLUSH_OPTIONS_VERSION, NULL, NULL, 0, 0, 0, \
    NULL, NULL, NULL}

/* What a flush did. Owned by the library: release with batchtrace_flush_summary_free. */
typedef struct batchtrace_flush_summary {
    int exit_code;                     /* 0: nothing waits in the spool (another flush may
                                          hold some); 5: spans still wait there or were
                                          rejected; 1, 2: see batchtrace_flush */
    const char *store;                 /* the store's URL */
    const char *destination;           /* where the spans went, for a person */
    uint64_t requests_found;           /* requests spooled when the flush started */
    uint64_t spans_found;              /* their spans */
    uint64_t spans_sent;               /* spans the server accepted (removed from the spool) */
    uint64_t spans_rejected;           /* spans refused in a partial success (removed too: the
                                          request was accepted, so it is never sent again) */
    uint64_t spans_left;               /* spans waiting in the spool when the flush ended
                                          (not counting spans_held) */
    int interrupted;                   /* non-zero: batchtrace_interrupt cut it short */
    uint64_t spans_held;               /* spans in the spool that another flush held (was
                                          sending) when this one ended: that one reports them */
} batchtrace_flush_summary;

/* Send what the store's spool holds and delete what the server accepted. On return *out
 * holds the summary (also on failure). Returns 0 when the flush took place (whatever its
 * exit code), BATCHTRACE_EUSAGE or BATCHTRACE_EFATAL (the store is broken) otherwise. */
int batchtrace_flush(batchtrace_flush_summary **out, const batchtrace_flush_options *options);
/* The flush summary as one JSON object; the caller frees it with free(). */
char *batchtrace_flush_summary_json(const batchtrace_flush_summary *summary);
/* Release a flush summary (NULL-safe). */
void batchtrace_flush_summary_free(batchtrace_flush_summary *summary);

#define BATCHTRACE_START_OPTIONS_VERSION 1

/* What batchtrace_start needs: the batch's requests, the caller's trace context, and where
 * the submit span goes (as for a collect run). */
typedef struct batchtrace_start_options {
    unsigned int version;              /* BATCHTRACE_START_OPTIONS_VERSION */
    const char *input_path;            /* the batch's requests (OpenAI input JSONL, Anthropic
                                          JSONL or create body; "-", a pipe or gzip data) */
    const char *provider;              /* "openai" | "anthropic"; NULL: detect from content */
    const char *parent;                /* W3C traceparent of the caller; NULL: $TRACEPARENT,
                                          else a new trace */
    const char *batch_id;              /* the provider's batch id when already known, or NULL
                                          (batchtrace_bind records it later) */
    int no_keep_inputs;                /* non-zero: keep no copy of the inputs in the store
                                          (collect then needs the input file) */
    const char *store;                 /* as in batchtrace_collect_options */
    const char *exporter;              /* as in batchtrace_collect_options, for the submit span */
    const char *output_path;
    const char *endpoint;
    const char *protocol;
    uint64_t max_request_bytes;
    unsigned int max_in_flight;
    double export_timeout;
    const char *braintrust_parent;
    size_t max_line_bytes;             /* longest request record; 0: 256 MiB */
    batchtrace_diagnostic_fn on_diagnostic; /* may be NULL */
    void *callback_ctx;
    int truncate_output;               /* as in batchtrace_collect_options */
    const batchtrace_source *input_source; /* the requests from any source, instead of
                                          input_path (borrowed for the call) */
    const char *const *conventions;    /* as in batchtrace_collect_options: a dialect adds its
                                          attributes to the submit span ("braintrust": the
                                          requests as input, custom_ids in metadata) */
    size_t convention_count;
    size_t max_attribute_bytes;        /* as in batchtrace_collect_options; also bounds the
                                          submit span's lists of custom_ids and requests */
} batchtrace_start_options;

#define BATCHTRACE_START_OPTIONS_INIT {BATCHTRACE_START_OPTIONS_VERSION, NULL, NULL, NULL, \
    NULL, 0, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, 0, NULL, NULL, 0, NULL, NULL, 0, 0}

/* What a start did. Owned by the library: release with batchtrace_start_summary_free. */
typedef struct batchtrace_start_summary {
    int exit_code;                     /* 0; 3: request lines rejected, no context made; 5: the
                                          submit span was not delivered (spooled); 1, 2 */
    const char *context;               /* the context token; "" when none was made */
    const char *provider;              /* "openai", "anthropic", or "" */
    const char *batch_id;              /* "" when not known yet */
    char trace_id[33];                 /* hex; "" without a context */
    char submit_span_id[17];
    char task_span_id[17];             /* the task span collect will export */
    char traceparent[56];              /* 00-<trace id>-<task span id>-<flags>: the parent for
                                          work that follows the batch; "" without a context */
    char input_digest[65];             /* hex SHA-256 over the sorted custom_ids */
    uint64_t request_count;
    int inputs_kept;                   /* non-zero: the store keeps a compressed copy */
    uint64_t spans_exported;
    uint64_t spans_spooled;
    const char *destination;           /* where the submit span went, for a person */
    const char *store;                 /* the store's URL */
    const batchtrace_diagnostic *rejected; /* the first 1000 rejected request lines */
    size_t rejected_kept;
    uint64_t rejected_count;
    const batchtrace_diagnostic *warnings;
    size_t warnings_kept;
    uint64_t warnings_count;
} batchtrace_start_summary;

/* Start a batch (SPEC section 3): read its requests, record its identity, digest and (unless
 * no_keep_inputs) a compressed copy of the inputs in the store, export the
 * `{provider}.batch.submit` span and make the context token. On return *out holds the
 * summary (also on failure). Returns 0 when the start took place (whatever its exit code),
 * BATCHTRACE_EUSAGE or BATCHTRACE_EFATAL otherwise. */
int batchtrace_start(batchtrace_start_summary **out, const batchtrace_start_options *options);
/* The start summary as one JSON object: context, metadata {"batchtrace_ctx": context},
 * trace_id, traceparent (null without a context), then the rest; free() it. */
char *batchtrace_start_summary_json(const batchtrace_start_summary *summary);
/* Release a start summary (NULL-safe). */
void batchtrace_start_summary_free(batchtrace_start_summary *summary);

/* An error code: a batch id already bound to another context (batchtrace_bind). */
#define BATCHTRACE_ECONFLICT (-3)

#define BATCHTRACE_BIND_OPTIONS_VERSION 1

typedef struct batchtrace_bind_options {
    unsigned int version;              /* BATCHTRACE_BIND_OPTIONS_VERSION */
    const char *batch_id;              /* the provider's batch id */
    const char *context;               /* the token batchtrace_start returned */
    const char *store;                 /* as in batchtrace_collect_options */
} batchtrace_bind_options;

#define BATCHTRACE_BIND_OPTIONS_INIT {BATCHTRACE_BIND_OPTIONS_VERSION, NULL, NULL, NULL}

/* Record the provider's batch id against a verified context token, so that collect finds
 * the context from the batch id alone (a store that never saw the start gets the batch from
 * the token's claims). Binding again to the same id is fine. Returns 0; BATCHTRACE_EUSAGE
 * (an option missing, a token that fails verification), BATCHTRACE_ECONFLICT (the batch id
 * is bound to another context, or the context to another batch id) or BATCHTRACE_EFATAL
 * (the store is broken), with batchtrace_last_error() saying why. */
int batchtrace_bind(const batchtrace_bind_options *options);

#define BATCHTRACE_STATUS_OPTIONS_VERSION 1

typedef struct batchtrace_status_options {
    unsigned int version;              /* BATCHTRACE_STATUS_OPTIONS_VERSION */
    const char *store;                 /* as in batchtrace_collect_options */
    const char *batch_id;              /* only this batch, or NULL: every batch */
} batchtrace_status_options;

#define BATCHTRACE_STATUS_OPTIONS_INIT {BATCHTRACE_STATUS_OPTIONS_VERSION, NULL, NULL}

/* One batch the store knows. */
typedef struct batchtrace_batch_status {
    const char *provider;
    const char *batch_id;              /* "" when not bound yet */
    const char *state;                 /* "started" (nothing exported yet), "collecting" (items
                                          exported, the task not yet), "complete" (the task
                                          was exported) */
    const char *batch_status;          /* the provider's status collect last saw, or "" */
    char trace_id[33];
    int64_t created_ns;                /* when start (or the first bind or collect) recorded it */
    uint64_t request_count;
    uint64_t items_exported;
    int task_exported;
    int inputs_kept;
} batchtrace_batch_status;

/* What the store holds. Owned by the library: release with batchtrace_status_free. */
typedef struct batchtrace_status_summary {
    const char *store;                 /* the store's URL */
    const batchtrace_batch_status *batches; /* oldest first */
    size_t batch_count;
    uint64_t spooled_requests;         /* the spool: requests waiting for batchtrace flush */
    uint64_t spooled_spans;
} batchtrace_status_summary;

/* Read the batches in the store and the spool. An absent store holds nothing (not an
 * error). Returns 0 with *out set; BATCHTRACE_EUSAGE or BATCHTRACE_EFATAL otherwise. */
int batchtrace_status(batchtrace_status_summary **out, const batchtrace_status_options *options);
/* The status as one JSON object {store, batches: [...], spooled_requests, spooled_spans}; free(). */
char *batchtrace_status_summary_json(const batchtrace_status_summary *summary);
/* Release a status summary (NULL-safe). */
void batchtrace_status_summary_free(batchtrace_status_summary *summary);

/* Stop exporting soon: requests on the wire get a few seconds to finish, everything not
 * delivered goes to the spool, and the running collect or flush returns with exit code 5
 * and `interrupted` set. Async-signal-safe: meant for a SIGINT or SIGTERM handler. Returns
 * non-zero when an OTLP export in progress acts on it, 0 when none is running (nothing is
 * in flight; the caller may end the process as it otherwise would). */
int batchtrace_interrupt(void);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif
