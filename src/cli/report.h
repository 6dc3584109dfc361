/* What a person sees on stderr: diagnostics as they happen (at most REPORT_LINES_PER_FILE
 * of each kind per file, then a count), a progress bar on long work at a terminal, and a
 * short summary at the end. And keeping stdout for what a program reads (--json, a token). */
#ifndef BT_CLI_REPORT_H
#define BT_CLI_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "batchtrace.h"

/* Rejected lines (and, apart, warnings) printed per file; the rest are counted. */
#define REPORT_LINES_PER_FILE 20

/* How many diagnostics of one file were printed and held back. */
typedef struct report_file {
    char *name;              /* owned */
    uint64_t rejected;       /* rejected lines reported, printed or not */
    uint64_t warnings;       /* warnings reported (not counted when quiet) */
} report_file;

typedef struct cli_report {
    bool quiet;              /* no summary, progress or warnings; errors and rejected lines */
    bool progress_shown;     /* a bar is on screen and must be cleared before a message */
    bool is_tty;             /* stderr is a terminal */
    int64_t started_ns;      /* for the rate */
    report_file *files;      /* one per file named by a diagnostic; owned */
    size_t file_count;
    size_t last_file;        /* the entry of files a diagnostic last named */
    bool held_back;          /* some file's diagnostics were not all printed */
} cli_report;

/* Set up for a run (quiet: no warnings, progress or summary). */
void report_init(cli_report *report, bool quiet);
/* batchtrace_diagnostic_fn: print "FILE:LINE: reason" (warnings and errors marked as such;
 * warnings hidden when quiet; past REPORT_LINES_PER_FILE of a kind in a file, only counted). */
void report_diagnostic(void *ctx, batchtrace_severity severity, const char *file,
                       uint64_t line, const char *reason);
/* The error groups the closing summary lists (most frequent first). */
#define REPORT_ERROR_GROUPS 3

/* The progress line for bytes_done of bytes_total read, items done, seconds since the
 * start: the bar, the percentage, items, items/s and the time left ("ETA m:ss", "ETA --"
 * before anything is read), into line. */
void report_progress_line(char *line, size_t size, uint64_t bytes_done, uint64_t bytes_total,
                          uint64_t items, double seconds);
/* batchtrace_progress_fn: a bar at a terminal (never when stderr is not one), for results
 * over a few MiB. */
void report_progress(void *ctx, uint64_t bytes_done, uint64_t bytes_total, uint64_t items);
/* After the run: for each file whose diagnostics were held back, one line with their count
 * ("FILE: N more lines rejected (first 20 shown)"); then free what the report holds. */
void report_finish(cli_report *report);
/* The closing summary of a collect run (nothing when quiet). */
void report_summary(cli_report *report, const batchtrace_summary *summary);

/* Keep stdout for a program: from now on the process's stdout goes to stderr (where the
 * console exporter's lines then appear, beside the diagnostics), and the stream returned
 * writes to the original stdout, for the --json object or the context token. When that
 * cannot be arranged, stdout itself (left as it was). */
FILE *report_reserve_stdout(void);
/* Flush (and close, unless it is stdout) the stream report_reserve_stdout returned. 0, or
 * -1 after printing "batchtrace: writing to stdout: REASON". */
int report_close_stdout(FILE *out);

#endif
