/* See report.h. */
#include "cli/report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/render.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/timeutil.h"

enum { PROGRESS_MIN_BYTES = 8 << 20, BAR_WIDTH = 30 };

/* See report.h. */
void report_init(cli_report *report, bool quiet) {
    memset(report, 0, sizeof *report);
    report->quiet = quiet;
    report->is_tty = isatty(STDERR_FILENO) == 1;
    report->started_ns = time_now_ns();
}

/* Erase the progress bar so a message starts on a clean line. */
static void clear_progress(cli_report *report) {
    if (!report->progress_shown) return;
    fputs("\r\033[K", stderr);
    report->progress_shown = false;
}

/* The counts of the file called name (added on first use). Diagnostics come file after
 * file, so the last file asked for is tried first (a run may name thousands of files). */
static report_file *file_counts(cli_report *report, const char *name) {
    if (report->file_count && strcmp(report->files[report->last_file].name, name) == 0)
        return &report->files[report->last_file];
    for (size_t i = 0; i < report->file_count; i++) {
        if (strcmp(report->files[i].name, name) == 0) {
            report->last_file = i;
            return &report->files[i];
        }
    }
    report->files = xreallocarray(report->files, report->file_count + 1, sizeof *report->files);
    report->last_file = report->file_count;
    report_file *added = &report->files[report->file_count++];
    added->name = xstrdup(name);
    added->rejected = 0;
    added->warnings = 0;
    return added;
}

/* See report.h. The cap is per file and per kind (rejected lines, warnings), so a file of
 * garbage cannot hide the first warnings of another file, nor of its own. Errors (spans
 * lost, an export that failed) are few and always printed. */
void report_diagnostic(void *ctx, batchtrace_severity severity, const char *file,
                       uint64_t line, const char *reason) {
    cli_report *report = ctx;
    if (severity == BATCHTRACE_WARNING && report->quiet) return;
    if (*file && severity != BATCHTRACE_ERROR) {
        report_file *counts = file_counts(report, file);
        uint64_t *seen = severity == BATCHTRACE_REJECTED ? &counts->rejected : &counts->warnings;
        if (++*seen > REPORT_LINES_PER_FILE) {
            report->held_back = true;
            return;
        }
    }
    clear_progress(report);
    const char *label = severity == BATCHTRACE_WARNING ? "warning: "
                        : severity == BATCHTRACE_ERROR ? "error: "
                                                       : "";
    if (*file && line)
        fprintf(stderr, "%s:%llu: %s%s\n", file, (unsigned long long)line, label, reason);
    else if (*file)
        fprintf(stderr, "%s: %s%s\n", file, label, reason);
    else
        fprintf(stderr, "batchtrace: %s%s\n", label, reason);
}

/* See report.h. */
void report_finish(cli_report *report) {
    clear_progress(report);
    for (size_t i = 0; i < report->file_count; i++) {
        const report_file *f = &report->files[i];
        if (f->rejected > REPORT_LINES_PER_FILE)
            fprintf(stderr, "%s: %llu more lines rejected (first %d shown)\n", f->name,
                    (unsigned long long)(f->rejected - REPORT_LINES_PER_FILE),
                    REPORT_LINES_PER_FILE);
        if (f->warnings > REPORT_LINES_PER_FILE)
            fprintf(stderr, "%s: %llu more warnings (first %d shown)\n", f->name,
                    (unsigned long long)(f->warnings - REPORT_LINES_PER_FILE),
                    REPORT_LINES_PER_FILE);
    }
    for (size_t i = 0; i < report->file_count; i++) free(report->files[i].name);
    free(report->files);
    report->files = NULL;
    report->file_count = 0;
}

/* See report.h. */
FILE *report_reserve_stdout(void) {
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    if (saved < 0) return stdout;
    FILE *out = fdopen(saved, "w");
    if (!out) {
        close(saved);
        return stdout;
    }
    if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
        fclose(out);
        return stdout;
    }
    return out;
}

/* See report.h. */
int report_close_stdout(FILE *out) {
    bool failed = fflush(out) != 0 || ferror(out);
    int saved_errno = errno;
    if (out != stdout) {
        if (fclose(out) != 0 && !failed) {
            failed = true;
            saved_errno = errno;
        }
        fflush(stdout); /* the run's own stdout, now stderr */
    }
    if (!failed) return 0;
    errno = saved_errno;
    perror("batchtrace: writing to stdout");
    return -1;
}

/* See report.h. */
void report_progress_line(char *line, size_t size, uint64_t bytes_done, uint64_t bytes_total,
                          uint64_t items, double seconds) {
    double fraction = bytes_total ? (double)bytes_done / (double)bytes_total : 0;
    if (fraction > 1) fraction = 1;
    int filled = (int)(fraction * BAR_WIDTH);
    char bar[BAR_WIDTH + 1];
    for (int i = 0; i < BAR_WIDTH; i++) bar[i] = i < filled ? '#' : '.';
    bar[BAR_WIDTH] = '\0';
    double items_per_second = seconds > 0 ? (double)items / seconds : 0;
    char eta[32] = "ETA --";
    if (fraction > 0 && seconds > 0) {
        long left = lround(seconds / fraction - seconds);
        if (left < 0) left = 0;
        if (left < 3600) snprintf(eta, sizeof eta, "ETA %ld:%02ld", left / 60, left % 60);
        else snprintf(eta, sizeof eta, "ETA %ld:%02ld:%02ld", left / 3600, left / 60 % 60, left % 60);
    }
    snprintf(line, size, "[%s] %3d%%  %llu items  %.0f items/s  %s", bar, (int)(fraction * 100),
             (unsigned long long)items, items_per_second, eta);
}

void report_progress(void *ctx, uint64_t bytes_done, uint64_t bytes_total, uint64_t items) {
    cli_report *report = ctx;
    if (report->quiet || !report->is_tty || bytes_total < PROGRESS_MIN_BYTES) return;
    char line[128];
    report_progress_line(line, sizeof line, bytes_done, bytes_total, items,
                         (double)(time_now_ns() - report->started_ns) / 1e9);
    fprintf(stderr, "\r%s\033[K", line);
    report->progress_shown = true;
}

/* A dollar amount for a person (report/render.h). */
static void print_money(FILE *out, double usd) {
    buf_t text = BUF_INIT;
    render_money(&text, usd);
    fputs(buf_cstr(&text), out);
    buf_free(&text);
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
    if (s->spans_exported == 0 && s->spans_failed == 0) /* a file exporter made no file */
        fprintf(stderr, "  spans    none: nothing was sent to %s", s->destination);
    else
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
    if (s->has_cost || s->items_unpriced) {
        fputs("  cost     ", stderr);
        if (s->has_cost) {
            print_money(stderr, s->cost_usd);
            fputs(" at the batch price, ", stderr);
            print_money(stderr, s->cost_saved_usd);
            fputs(" saved", stderr);
        } else {
            fputs("unknown", stderr);
        }
        if (s->items_unpriced)
            fprintf(stderr, " (%llu item%s without a price)", (unsigned long long)s->items_unpriced,
                    plural(s->items_unpriced));
        fputc('\n', stderr);
    }
    size_t shown = s->error_group_count < REPORT_ERROR_GROUPS ? s->error_group_count
                                                              : REPORT_ERROR_GROUPS;
    for (size_t i = 0; i < shown; i++) {
        const batchtrace_error_group *g = &s->error_groups[i];
        fprintf(stderr, "  %-8s %llu x %s%s%.*s%s", i == 0 ? "errors" : "",
                (unsigned long long)g->count, g->type, *g->message ? ": " : "",
                (int)(strlen(g->message) > 80 ? 77 : strlen(g->message)), g->message,
                strlen(g->message) > 80 ? "..." : "");
        for (size_t k = 0; k < g->custom_id_count; k++)
            fprintf(stderr, "%s%s", k == 0 ? " (" : ", ", g->custom_ids[k]);
        fputs(g->custom_id_count ? (g->count > g->custom_id_count ? ", ...)\n" : ")\n") : "\n",
              stderr);
    }
    if (s->error_group_count > shown)
        fprintf(stderr, "  %-8s %zu more error groups: batchtrace report\n", "",
                s->error_group_count - shown);
    if (s->rejected_count)
        fprintf(stderr, "  rejected %llu line%s (%s)\n", (unsigned long long)s->rejected_count,
                plural(s->rejected_count),
                report->held_back ? "the first 20 of each file listed above" : "listed above");
    if (s->warnings_count)
        fprintf(stderr, "  warnings %llu (listed above)\n", (unsigned long long)s->warnings_count);
}
