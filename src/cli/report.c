#include "cli/report.h"

#include <stdio.h>
#include <unistd.h>

#include "util/timeutil.h"

enum { PROGRESS_MIN_BYTES = 8 << 20, BAR_WIDTH = 30 };

void report_init(cli_report *report, bool quiet) {
    report->quiet = quiet;
    report->progress_shown = false;
    report->is_tty = isatty(STDERR_FILENO) == 1;
    report->started_ns = time_now_ns();
}

/* Erase the progress bar so a message starts on a clean line. */
static void clear_progress(cli_report *report) {
    if (!report->progress_shown) return;
    fputs("\r\033[K", stderr);
    report->progress_shown = false;
}

void report_diagnostic(void *ctx, batchtrace_severity severity, const char *file,
                       uint64_t line, const char *reason) {
    cli_report *report = ctx;
    if (severity == BATCHTRACE_WARNING && report->quiet) return;
    clear_progress(report);
    const char *label = severity == BATCHTRACE_WARNING ? "warning: " : "";
    if (*file && line)
        fprintf(stderr, "%s:%llu: %s%s\n", file, (unsigned long long)line, label, reason);
    else if (*file)
        fprintf(stderr, "%s: %s%s\n", file, label, reason);
    else
        fprintf(stderr, "batchtrace: %s%s\n", label, reason);
}

void report_progress(void *ctx, uint64_t bytes_done, uint64_t bytes_total, uint64_t items) {
    cli_report *report = ctx;
    if (report->quiet || !report->is_tty || bytes_total < PROGRESS_MIN_BYTES) return;
    double fraction = bytes_total ? (double)bytes_done / (double)bytes_total : 0;
    if (fraction > 1) fraction = 1;
    int filled = (int)(fraction * BAR_WIDTH);
    double seconds = (double)(time_now_ns() - report->started_ns) / 1e9;
    double rate = seconds > 0 ? (double)bytes_done / 1e6 / seconds : 0;
    char bar[BAR_WIDTH + 1];
    for (int i = 0; i < BAR_WIDTH; i++) bar[i] = i < filled ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    fprintf(stderr, "\r[%s] %3d%%  %llu items  %.0f MB/s", bar, (int)(fraction * 100),
            (unsigned long long)items, rate);
    report->progress_shown = true;
}

/* "s" when n is not 1. */
static const char *plural(uint64_t n) { return n == 1 ? "" : "s"; }

void report_summary(cli_report *report, const batchtrace_summary *s) {
    clear_progress(report);
    if (report->quiet) return;
    fprintf(stderr, "batchtrace: %s batch%s%s: %s\n", *s->provider ? s->provider : "unknown",
            *s->batch_id ? " " : "", s->batch_id, s->outcome);
    fprintf(stderr, "  items    %llu: %llu succeeded, %llu errored, %llu canceled, "
                    "%llu expired, %llu missing\n",
            (unsigned long long)s->items.total, (unsigned long long)s->items.succeeded,
            (unsigned long long)s->items.errored, (unsigned long long)s->items.canceled,
            (unsigned long long)s->items.expired, (unsigned long long)s->items.missing);
    fprintf(stderr, "  tokens   %lld in (%lld cache read, %lld cache write), %lld out "
                    "(%lld reasoning)\n",
            (long long)s->tokens.input, (long long)s->tokens.cache_read,
            (long long)s->tokens.cache_creation, (long long)s->tokens.output,
            (long long)s->tokens.reasoning);
    fprintf(stderr, "  spans    %llu exported to %s", (unsigned long long)s->spans_exported,
            s->destination);
    if (s->spans_failed) fprintf(stderr, " (%llu failed)", (unsigned long long)s->spans_failed);
    fputc('\n', stderr);
    if (s->max_attribute_bytes)
        fprintf(stderr, "  truncated %llu span%s (values over %zu bytes cut, "
                        "batchtrace.truncated=true)\n",
                (unsigned long long)s->spans_truncated, plural(s->spans_truncated),
                s->max_attribute_bytes);
    fprintf(stderr, "  trace    %s%s%s\n", s->trace_id, *s->task_span_id ? "  task span " : "",
            s->task_span_id);
    if (s->rejected_count)
        fprintf(stderr, "  rejected %llu line%s (listed above)\n",
                (unsigned long long)s->rejected_count, plural(s->rejected_count));
    if (s->warnings_count)
        fprintf(stderr, "  warnings %llu (listed above)\n", (unsigned long long)s->warnings_count);
}
