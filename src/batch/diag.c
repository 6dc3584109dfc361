#include "batch/diag.h"

#include <stdarg.h>
#include <stdlib.h>

#include "util/alloc.h"
#include "util/buf.h"

/* Record one diagnostic in list and hand it to the callback. */
static void add(diag_sink *sink, diag_list *list, batchtrace_severity severity,
                const char *file, uint64_t line, const char *fmt, va_list ap) {
    buf_t reason = BUF_INIT;
    buf_vprintf(&reason, fmt, ap);
    if (sink->callback)
        sink->callback(sink->callback_ctx, severity, file ? file : "", line, buf_cstr(&reason));
    list->total++;
    if (list->kept < DIAG_KEEP) {
        if (list->kept == 0) list->entries = xcalloc(DIAG_KEEP, sizeof *list->entries);
        diag_entry *entry = &list->entries[list->kept++];
        entry->file = xstrdup(file ? file : "");
        entry->line = line;
        entry->reason = buf_detach(&reason);
    }
    buf_free(&reason);
}

void diag_reject(diag_sink *sink, const char *file, uint64_t line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    add(sink, &sink->rejected, BATCHTRACE_REJECTED, file, line, fmt, ap);
    va_end(ap);
}

void diag_warn(diag_sink *sink, const char *file, uint64_t line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    add(sink, &sink->warnings, BATCHTRACE_WARNING, file, line, fmt, ap);
    va_end(ap);
}

/* Free one list. */
static void list_free(diag_list *list) {
    for (size_t i = 0; i < list->kept; i++) {
        free(list->entries[i].file);
        free(list->entries[i].reason);
    }
    free(list->entries);
    list->entries = NULL;
    list->kept = 0;
}

void diag_sink_free(diag_sink *sink) {
    list_free(&sink->rejected);
    list_free(&sink->warnings);
}
