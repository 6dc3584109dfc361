/* `batchtrace start`: parse, call batchtrace_start, print the token (or the --json object). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "batchtrace.h"
#include "cli/commands.h"
#include "cli/export_flags.h"
#include "cli/options.h"
#include "cli/report.h"

/* The closing lines for a person, on stderr. */
static void print_summary(const batchtrace_start_summary *s) {
    if (!*s->context) {
        fprintf(stderr, "batchtrace: no context made: fix the rejected request lines (the "
                        "provider would refuse the batch)\n");
        return;
    }
    fprintf(stderr, "batchtrace: started %s batch%s%s: %llu request%s, inputs %s\n", s->provider,
            *s->batch_id ? " " : "", s->batch_id, (unsigned long long)s->request_count,
            s->request_count == 1 ? "" : "s", s->inputs_kept ? "kept in the store" : "not kept");
    fprintf(stderr, "  trace    %s  task span %s\n", s->trace_id, s->task_span_id);
    fprintf(stderr, "  spans    %llu exported to %s\n", (unsigned long long)s->spans_exported,
            s->destination);
    if (s->warnings_count)
        fprintf(stderr, "  warnings %llu (listed above)\n", (unsigned long long)s->warnings_count);
}

/* A positive whole number of bytes (--max-line-bytes, --max-attribute-bytes). -1 when text
 * is not one. */
static int parse_byte_count(const char *text, size_t *out) {
    if (*text < '0' || *text > '9') return -1;
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (*end != '\0' || errno == ERANGE || value == 0 || value > SIZE_MAX) return -1;
    *out = (size_t)value;
    return 0;
}

/* See commands.h: parse, start, print the token on stdout and the summary on stderr (with
 * --json, the object on stdout and no summary). */
int cmd_start(int argc, char **argv) {
    cli_config config;
    int exit_code = BATCHTRACE_EXIT_USAGE;
    batchtrace_start_summary *summary = NULL;
    if (cli_parse(CMD_START, argc, argv, &config) != 0) {
        fputs("Try 'batchtrace start --help'.\n", stderr);
        goto done;
    }
    if (config.help || config.version) {
        if (config.help) cli_print_help(stdout, CMD_START);
        else printf("batchtrace %s\n", batchtrace_version());
        exit_code = BATCHTRACE_EXIT_OK;
        goto done;
    }
    size_t max_line_bytes = 0;
    if (config.max_line_bytes && parse_byte_count(config.max_line_bytes, &max_line_bytes) != 0) {
        fprintf(stderr, "batchtrace: --max-line-bytes needs a positive whole number of bytes, "
                        "not \"%s\"\nTry 'batchtrace start --help'.\n", config.max_line_bytes);
        goto done;
    }
    size_t max_attribute_bytes = 0;
    if (config.max_attribute_bytes &&
        parse_byte_count(config.max_attribute_bytes, &max_attribute_bytes) != 0) {
        fprintf(stderr, "batchtrace: --max-attribute-bytes needs a positive whole number of "
                        "bytes, not \"%s\"\nTry 'batchtrace start --help'.\n",
                config.max_attribute_bytes);
        goto done;
    }
    cli_export_limits limits;
    if (cli_export_limits_parse(&config, "start", &limits) != 0) goto done;
    cli_report report;
    report_init(&report, config.quiet);
    batchtrace_start_options options = BATCHTRACE_START_OPTIONS_INIT;
    options.input_path = config.input_path;
    options.provider = config.provider;
    options.parent = config.parent;
    options.batch_id = config.batch_id;
    options.no_keep_inputs = config.no_keep_inputs;
    options.store = config.store;
    options.exporter = config.exporter;
    options.output_path = config.output_path;
    options.truncate_output = config.truncate;
    options.endpoint = config.endpoint;
    options.protocol = config.protocol;
    options.max_request_bytes = limits.max_request_bytes;
    options.max_in_flight = limits.max_in_flight;
    options.export_timeout = limits.export_timeout;
    options.braintrust_parent = config.braintrust_parent;
    options.max_line_bytes = max_line_bytes;
    options.conventions = config.conventions;
    options.convention_count = config.convention_count;
    options.max_attribute_bytes = max_attribute_bytes;
    options.on_diagnostic = report_diagnostic;
    options.callback_ctx = &report;

    /* stdout holds the token (or the --json object) alone: console spans go to stderr. */
    FILE *out = report_reserve_stdout();
    cli_catch_interrupts();
    int rc = batchtrace_start(&summary, &options);
    exit_code = summary ? summary->exit_code : BATCHTRACE_EXIT_FATAL;
    report_finish(&report);
    if (rc != BATCHTRACE_OK) {
        fprintf(stderr, "batchtrace: error: %s\n", batchtrace_last_error());
        if (rc == BATCHTRACE_EUSAGE) fputs("Try 'batchtrace start --help'.\n", stderr);
    } else if (!config.quiet && !config.json) {
        print_summary(summary);
    }
    if (config.json && summary) {
        char *json = batchtrace_start_summary_json(summary);
        fprintf(out, "%s\n", json);
        free(json);
    } else if (rc == BATCHTRACE_OK && *summary->context) {
        fprintf(out, "%s\n", summary->context);
    }
    if (report_close_stdout(out) != 0 && exit_code == BATCHTRACE_EXIT_OK)
        exit_code = BATCHTRACE_EXIT_FATAL;
done:
    batchtrace_start_summary_free(summary);
    cli_config_free(&config);
    return exit_code;
}
