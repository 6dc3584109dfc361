/* `batchtrace collect`: parse, call batchtrace_collect, print. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "batchtrace.h"
#include "cli/commands.h"
#include "cli/export_flags.h"
#include "cli/options.h"
#include "cli/report.h"

/* A positive whole number of bytes, digits only (no sign, no suffix). -1 when text is not. */
static int parse_byte_count(const char *text, size_t *out) {
    if (*text < '0' || *text > '9') return -1;
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (*end != '\0' || errno == ERANGE || value == 0 || value > SIZE_MAX) return -1;
    *out = (size_t)value;
    return 0;
}

int cmd_collect(int argc, char **argv) {
    cli_config config;
    if (cli_parse(CMD_COLLECT, argc, argv, &config) != 0) {
        fputs("Try 'batchtrace collect --help'.\n", stderr);
        cli_config_free(&config);
        return BATCHTRACE_EXIT_USAGE;
    }
    if (config.help) {
        cli_print_help(stdout, CMD_COLLECT);
        cli_config_free(&config);
        return BATCHTRACE_EXIT_OK;
    }
    if (config.version) {
        printf("batchtrace %s\n", batchtrace_version());
        cli_config_free(&config);
        return BATCHTRACE_EXIT_OK;
    }
    size_t max_line_bytes = 0;
    if (config.max_line_bytes && parse_byte_count(config.max_line_bytes, &max_line_bytes) != 0) {
        fprintf(stderr, "batchtrace: --max-line-bytes needs a positive whole number of bytes, "
                        "not \"%s\"\nTry 'batchtrace collect --help'.\n", config.max_line_bytes);
        cli_config_free(&config);
        return BATCHTRACE_EXIT_USAGE;
    }
    size_t max_attribute_bytes = 0;
    if (config.max_attribute_bytes &&
        parse_byte_count(config.max_attribute_bytes, &max_attribute_bytes) != 0) {
        fprintf(stderr, "batchtrace: --max-attribute-bytes needs a positive whole number of "
                        "bytes, not \"%s\"\nTry 'batchtrace collect --help'.\n",
                config.max_attribute_bytes);
        cli_config_free(&config);
        return BATCHTRACE_EXIT_USAGE;
    }
    cli_export_limits limits;
    if (cli_export_limits_parse(&config, "collect", &limits) != 0) {
        cli_config_free(&config);
        return BATCHTRACE_EXIT_USAGE;
    }
    cli_report report;
    report_init(&report, config.quiet);
    batchtrace_collect_options options = BATCHTRACE_COLLECT_OPTIONS_INIT;
    options.results_paths = config.results_paths;
    options.results_count = config.results_count;
    options.batch_path = config.batch_path;
    options.input_path = config.input_path;
    options.provider = config.provider;
    options.parent = config.parent;
    options.trace_id = config.trace_id;
    options.exporter = config.exporter;
    options.output_path = config.output_path;
    options.truncate_output = config.truncate;
    options.endpoint = config.endpoint;
    options.protocol = config.protocol;
    options.no_content = config.no_content;
    options.max_line_bytes = max_line_bytes;
    options.conventions = config.conventions;
    options.convention_count = config.convention_count;
    options.max_attribute_bytes = max_attribute_bytes;
    options.store = config.store;
    options.context = config.context;
    options.batch_id = config.batch_id;
    options.force = config.force;
    options.max_request_bytes = limits.max_request_bytes;
    options.max_in_flight = limits.max_in_flight;
    options.export_timeout = limits.export_timeout;
    options.braintrust_parent = config.braintrust_parent;
    options.prices_path = config.prices_path;
    options.on_diagnostic = report_diagnostic;
    options.on_progress = report_progress;
    options.callback_ctx = &report;

    /* With --json, stdout holds the summary object alone (console spans go to stderr). */
    FILE *out = config.json ? report_reserve_stdout() : stdout;
    cli_catch_interrupts();
    batchtrace_summary *summary = NULL;
    int rc = batchtrace_collect(&summary, &options);
    int exit_code = summary ? summary->exit_code : BATCHTRACE_EXIT_FATAL;
    report_finish(&report);
    if (rc != BATCHTRACE_OK) {
        fprintf(stderr, "batchtrace: error: %s\n", batchtrace_last_error());
        if (rc == BATCHTRACE_EUSAGE) fputs("Try 'batchtrace collect --help'.\n", stderr);
    } else if (!config.json) {
        report_summary(&report, summary);
    }
    if (config.json && summary) {
        char *json = batchtrace_summary_json(summary);
        fprintf(out, "%s\n", json);
        free(json);
    }
    if (report_close_stdout(out) != 0 && exit_code == BATCHTRACE_EXIT_OK)
        exit_code = BATCHTRACE_EXIT_FATAL;
    batchtrace_summary_free(summary);
    cli_config_free(&config);
    return exit_code;
}
