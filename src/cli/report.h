/* What a person sees on stderr: diagnostics as they happen, a progress bar on long work
 * at a terminal, and a short summary at the end. */
#ifndef BT_CLI_REPORT_H
#define BT_CLI_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "batchtrace.h"

typedef struct cli_report {
    bool quiet;              /* only rejected lines */
    bool progress_shown;     /* a bar is on screen and must be cleared before a message */
    bool is_tty;             /* stderr is a terminal */
    int64_t started_ns;      /* for the rate */
} cli_report;

/* Set up for a run (quiet: no warnings, progress or summary). */
void report_init(cli_report *report, bool quiet);
/* batchtrace_diagnostic_fn: print "FILE:LINE: reason" (warnings marked as such). */
void report_diagnostic(void *ctx, batchtrace_severity severity, const char *file,
                       uint64_t line, const char *reason);
/* batchtrace_progress_fn: a bar at a terminal, for results over a few MiB. */
void report_progress(void *ctx, uint64_t bytes_done, uint64_t bytes_total, uint64_t items);
/* The closing summary of a collect run. */
void report_summary(cli_report *report, const batchtrace_summary *summary);

#endif
