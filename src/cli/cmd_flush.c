/* `batchtrace flush`: parse, call batchtrace_flush, print. */
#include <stdio.h>
#include <stdlib.h>

#include "batchtrace.h"
#include "cli/commands.h"
#include "cli/export_flags.h"
#include "cli/options.h"
#include "cli/report.h"

/* "s" when n is not 1. */
static const char *plural(uint64_t n) { return n == 1 ? "" : "s"; }

/* The closing lines for a person, on stderr. */
static void print_summary(const batchtrace_flush_summary *s) {
    if (s->spans_found == 0) {
        fprintf(stderr, "batchtrace: nothing to flush in %s\n", s->store);
        return;
    }
    fprintf(stderr, "batchtrace: sent %llu of %llu spooled span%s to %s\n",
            (unsigned long long)s->spans_sent, (unsigned long long)s->spans_found,
            plural(s->spans_found), s->destination);
    if (s->spans_rejected)
        fprintf(stderr, "  rejected %llu span%s (partial success; not kept)\n",
                (unsigned long long)s->spans_rejected, plural(s->spans_rejected));
    if (s->interrupted) fputs("  interrupted\n", stderr);
    if (s->spans_held)
        fprintf(stderr, "  %llu span%s %s being sent by another batchtrace run, which reports on them\n",
                (unsigned long long)s->spans_held, plural(s->spans_held),
                s->spans_held == 1 ? "is" : "are");
    if (s->spans_left)
        fprintf(stderr, "  %llu span%s still wait%s in %s: run batchtrace flush again later\n",
                (unsigned long long)s->spans_left, plural(s->spans_left),
                s->spans_left == 1 ? "s" : "", s->store);
    else if (!s->spans_held)
        fprintf(stderr, "  the spool is empty\n");
}

/* See commands.h: parse, flush, print the summary (stderr) or the --json object. */
int cmd_flush(int argc, char **argv) {
    cli_config config;
    int exit_code = BATCHTRACE_EXIT_USAGE;
    if (cli_parse(CMD_FLUSH, argc, argv, &config) != 0) {
        fputs("Try 'batchtrace flush --help'.\n", stderr);
        goto done;
    }
    if (config.help || config.version) {
        if (config.help) cli_print_help(stdout, CMD_FLUSH);
        else printf("batchtrace %s\n", batchtrace_version());
        exit_code = BATCHTRACE_EXIT_OK;
        goto done;
    }
    cli_export_limits limits;
    if (cli_export_limits_parse(&config, "flush", &limits) != 0) goto done;
    cli_report report;
    report_init(&report, config.quiet);
    batchtrace_flush_options options = BATCHTRACE_FLUSH_OPTIONS_INIT;
    options.store = config.store;
    options.endpoint = config.endpoint;
    options.max_request_bytes = limits.max_request_bytes;
    options.max_in_flight = limits.max_in_flight;
    options.export_timeout = limits.export_timeout;
    options.braintrust_parent = config.braintrust_parent;
    options.on_diagnostic = report_diagnostic;
    options.callback_ctx = &report;

    cli_catch_interrupts();
    batchtrace_flush_summary *summary = NULL;
    int rc = batchtrace_flush(&summary, &options);
    exit_code = summary ? summary->exit_code : BATCHTRACE_EXIT_FATAL;
    report_finish(&report);
    if (rc != BATCHTRACE_OK) {
        fprintf(stderr, "batchtrace: error: %s\n", batchtrace_last_error());
        if (rc == BATCHTRACE_EUSAGE) fputs("Try 'batchtrace flush --help'.\n", stderr);
    } else if (!config.quiet && !config.json) {
        print_summary(summary);
    }
    if (config.json && summary) {
        char *json = batchtrace_flush_summary_json(summary);
        puts(json);
        free(json);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("batchtrace: writing to stdout");
        if (exit_code == BATCHTRACE_EXIT_OK) exit_code = BATCHTRACE_EXIT_FATAL;
    }
    batchtrace_flush_summary_free(summary);
done:
    cli_config_free(&config);
    return exit_code;
}
