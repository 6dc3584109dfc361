/* `batchtrace sync`: parse, call sync_run (once, or every N seconds), print a line (or,
 * with --json, one JSON object) per batch. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batchtrace.h"
#include "cli/commands.h"
#include "cli/export_flags.h"
#include "cli/options.h"
#include "cli/report.h"
#include "json/writer.h"
#include "sync/sync.h"
#include "util/buf.h"
#include "util/reason.h"
#include "util/timeutil.h"

/* What the per-batch callback prints to. */
typedef struct sync_printer {
    cli_report *report;
    FILE *json_out;              /* --json: the original stdout; else NULL */
} sync_printer;

/* The action's word in the summaries. */
static const char *action_name(sync_action action) {
    switch (action) {
    case SYNC_COLLECTED: return "collected";
    case SYNC_PENDING: return "pending";
    case SYNC_COMPLETE: return "complete";
    case SYNC_FAILED: return "failed";
    }
    return "";
}

/* One batch's JSON object: {"sync": ACTION, "provider", "batch_id", "batch_status",
 * "inputs", "error", "exit_code", "summary": collect's summary object or null}. */
static void print_batch_json(FILE *out, const sync_batch_report *batch) {
    buf_t text = BUF_INIT;
    jw_t w;
    jw_init(&w, &text);
    jw_object_open(&w);
    jw_key(&w, "sync");
    jw_cstring(&w, action_name(batch->action));
    jw_key(&w, "provider");
    jw_cstring(&w, batch->provider);
    jw_key(&w, "batch_id");
    jw_cstring(&w, batch->batch_id);
    jw_key(&w, "batch_status");
    jw_cstring(&w, batch->batch_status);
    jw_key(&w, "inputs");
    jw_cstring(&w, batch->inputs);
    jw_key(&w, "error");
    jw_cstring(&w, batch->error);
    jw_key(&w, "exit_code");
    jw_int(&w, batch->exit_code);
    jw_key(&w, "summary");
    if (batch->summary) {
        char *summary = batchtrace_summary_json(batch->summary);
        jw_raw(&w, str_c(summary));
        free(summary);
    } else {
        jw_null(&w);
    }
    jw_object_close(&w);
    fprintf(out, "%s\n", buf_cstr(&text));
    fflush(out);
    buf_free(&text);
}

/* sync_options.on_batch: a line per batch on stderr (the collect summary under it), or a
 * JSON object on stdout. */
static void on_batch(void *ctx, const sync_batch_report *batch) {
    sync_printer *printer = ctx;
    if (printer->json_out) {
        print_batch_json(printer->json_out, batch);
        return;
    }
    if (batch->action == SYNC_FAILED) {
        fprintf(stderr, "batchtrace: error: %s batch %s (%s): not collected this time (the "
                "next sync tries again): %s\n", batch->provider, batch->batch_id,
                batch->batch_status[0] ? batch->batch_status : "status unknown", batch->error);
        return;
    }
    if (printer->report->quiet) return;
    if (batch->action == SYNC_PENDING)
        fprintf(stderr, "batchtrace: %s batch %s (%s): still running, collected by a later sync\n",
                batch->provider, batch->batch_id, batch->batch_status);
    else if (batch->action == SYNC_COMPLETE)
        fprintf(stderr, "batchtrace: %s batch %s (%s): traced before, nothing to send\n",
                batch->provider, batch->batch_id, batch->batch_status);
    if (batch->action != SYNC_COLLECTED) return;
    report_summary(printer->report, batch->summary);
    fprintf(stderr, "  inputs   %s\n", batch->inputs);
}

/* sync_options.on_notice: retries and skipped list entries, as warnings. */
static void on_notice(void *ctx, const char *text) {
    sync_printer *printer = ctx;
    report_diagnostic(printer->report, BATCHTRACE_WARNING, "", 0, text);
}

/* --since: "YYYY-MM-DD" (midnight UTC) or an RFC 3339 timestamp. 0, or -1. */
static int parse_since(const char *text, int64_t *out_ns) {
    char full[64];
    if (strlen(text) == 10) {
        snprintf(full, sizeof full, "%sT00:00:00Z", text);
        text = full;
    }
    return time_parse_rfc3339(text, strlen(text), out_ns) == 0 && *out_ns > 0 ? 0 : -1;
}

/* Print a usage error and the hint; returns the usage exit code. */
static int usage_error(const char *message, const char *value) {
    fprintf(stderr, "batchtrace: %s \"%s\"\nTry 'batchtrace sync --help'.\n", message, value);
    return BATCHTRACE_EXIT_USAGE;
}

/* The human summary of one sync run. A run that stopped on an error (stopped: the
 * account could not be listed, the store failed) says so rather than reading as an
 * account with nothing in it. */
static void print_totals(const sync_totals *totals, bool stopped) {
    if (stopped && totals->listed == 0) {
        fputs("batchtrace: sync: stopped before any batch was looked at (see the error above); "
              "nothing was collected\n", stderr);
        return;
    }
    fprintf(stderr, "batchtrace: sync: %s%llu batches listed: %llu collected, %llu still running, "
            "%llu traced before, %llu failed\n",
            stopped ? "stopped early (see the error above); before that, " : "",
            (unsigned long long)totals->listed, (unsigned long long)totals->collected,
            (unsigned long long)totals->pending, (unsigned long long)totals->complete,
            (unsigned long long)totals->failed);
}

/* The command's work once the options are read. */
static int run(const cli_config *config) {
    uint64_t every = 0;
    int64_t since_ns = 0;
    batchtrace_collect_options collect;
    if (cli_collect_options_parse(config, "sync", &collect) != 0) return BATCHTRACE_EXIT_USAGE;
    if (config->every && cli_parse_count(config->every, 31 * 86400, &every) != 0)
        return usage_error("--every needs a positive whole number of seconds, not", config->every);
    if (config->every && config->once) {
        fputs("batchtrace: --once and --every exclude each other\nTry 'batchtrace sync "
              "--help'.\n", stderr);
        return BATCHTRACE_EXIT_USAGE;
    }
    if (config->since && parse_since(config->since, &since_ns) != 0)
        return usage_error("--since needs a date (YYYY-MM-DD) or an RFC 3339 time, not",
                           config->since);
    if (!config->provider) {
        fputs("batchtrace: sync needs --provider openai or --provider anthropic\nTry "
              "'batchtrace sync --help'.\n", stderr);
        return BATCHTRACE_EXIT_USAGE;
    }
    cli_report report;
    report_init(&report, config->quiet);
    sync_printer printer = {&report, NULL};
    collect.on_diagnostic = report_diagnostic;
    collect.on_progress = report_progress;
    collect.callback_ctx = &report;
    sync_options options = {config->provider, config->batch_ids, config->batch_id_count, since_ns,
                            &collect, on_batch, on_notice, &printer};

    /* With --json, stdout holds the batches' objects alone (console spans go to stderr). */
    FILE *out = config->json ? report_reserve_stdout() : stdout;
    if (config->json) printer.json_out = out;
    cli_catch_interrupts();
    int exit_code;
    for (;;) {
        sync_totals totals;
        char reason[REASON_MAX];
        reason[0] = '\0';
        exit_code = sync_run(&options, &totals, reason);
        if (reason[0]) {
            fprintf(stderr, "batchtrace: error: %s\n", reason);
            if (exit_code == BATCHTRACE_EXIT_USAGE) fputs("Try 'batchtrace sync --help'.\n", stderr);
        }
        if (!config->quiet && !config->json && exit_code != BATCHTRACE_EXIT_USAGE)
            print_totals(&totals, reason[0] != '\0');
        if (!every || exit_code == BATCHTRACE_EXIT_USAGE || totals.interrupted) break;
        struct timespec wait = {(time_t)every, 0};
        while (nanosleep(&wait, &wait) != 0) {}
    }
    report_finish(&report);
    if (report_close_stdout(out) != 0 && exit_code == BATCHTRACE_EXIT_OK)
        exit_code = BATCHTRACE_EXIT_FATAL;
    return exit_code;
}

/* See commands.h. */
int cmd_sync(int argc, char **argv) { return cli_main(CMD_SYNC, "sync", argc, argv, run); }
