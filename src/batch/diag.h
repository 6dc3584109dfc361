/* Diagnostics of one run: rejected lines (malformed, duplicate: they raise exit code 3) and
 * warnings (reported, nothing lost). Each is handed to the caller's callback at once and the
 * first DIAG_KEEP of each kind are kept for the summary; the totals are always exact. */
#ifndef BT_BATCH_DIAG_H
#define BT_BATCH_DIAG_H

#include <stddef.h>
#include <stdint.h>

#include "batchtrace.h"

#define DIAG_KEEP 1000

typedef struct diag_entry {
    char *file;              /* owned; "" when the diagnostic is about no file */
    uint64_t line;           /* 0 when about no line */
    char *reason;            /* owned */
} diag_entry;

typedef struct diag_list {
    diag_entry *entries;     /* the first DIAG_KEEP, owned */
    size_t kept;
    uint64_t total;          /* all of them, kept or not */
} diag_list;

typedef struct diag_sink {
    diag_list rejected;
    diag_list warnings;
    batchtrace_diagnostic_fn callback; /* may be NULL */
    void *callback_ctx;
} diag_sink;

/* Report a rejected line (FILE:LINE: reason). */
void diag_reject(diag_sink *sink, const char *file, uint64_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Report a warning. */
void diag_warn(diag_sink *sink, const char *file, uint64_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Report a loss (spans neither delivered nor spooled, an export that failed): kept with
 * the warnings, handed to the callback as BATCHTRACE_ERROR so that it is never hidden. */
void diag_error(diag_sink *sink, const char *file, uint64_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Report a warning or a loss, as severity says. */
void diag_report(diag_sink *sink, batchtrace_severity severity, const char *file,
                 uint64_t line, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Free the kept entries. */
void diag_sink_free(diag_sink *sink);

#endif
