#include "batch/diag.h"

#include <stdarg.h>
#include <stdlib.h>

#include "util/alloc.h"
#include "util/buf.h"

/* Append text to out with control characters (C0, DEL and UTF-8-encoded C1) written as
 * \xNN / \u00NN escapes: reasons quote hostile input (custom_ids, paths) and are printed to
 * terminals, where a raw ESC or CSI would be obeyed. */
static void append_printable(buf_t *out, const char *text) {
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p < 0x20 || *p == 0x7F) buf_printf(out, "\\x%02x", *p);
        else if (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) buf_printf(out, "\\u%04x", *++p);
        else buf_putc(out, (char)*p);
    }
}

/* Record one diagnostic in list and hand it to the callback. */
static void add(diag_sink *sink, diag_list *list, batchtrace_severity severity,
                const char *file, uint64_t line, const char *fmt, va_list ap) {
    buf_t formatted = BUF_INIT, reason = BUF_INIT;
    buf_vprintf(&formatted, fmt, ap);
    append_printable(&reason, buf_cstr(&formatted));
    buf_free(&formatted);
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

void diag_error(diag_sink *sink, const char *file, uint64_t line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    add(sink, &sink->warnings, BATCHTRACE_ERROR, file, line, fmt, ap);
    va_end(ap);
}

void diag_report(diag_sink *sink, batchtrace_severity severity, const char *file,
                 uint64_t line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    add(sink, severity == BATCHTRACE_REJECTED ? &sink->rejected : &sink->warnings, severity,
        file, line, fmt, ap);
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
