/* `batchtrace collect`: parse, call batchtrace_collect, print. */
#include <stdio.h>
#include <stdlib.h>

#include "batchtrace.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "cli/report.h"

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
    options.endpoint = config.endpoint;
    options.protocol = config.protocol;
    options.no_content = config.no_content;
    options.on_diagnostic = report_diagnostic;
    options.on_progress = report_progress;
    options.callback_ctx = &report;

    batchtrace_summary *summary = NULL;
    int rc = batchtrace_collect(&summary, &options);
    int exit_code = summary ? summary->exit_code : BATCHTRACE_EXIT_FATAL;
    if (rc != BATCHTRACE_OK) {
        fprintf(stderr, "batchtrace: error: %s\n", batchtrace_last_error());
        if (rc == BATCHTRACE_EUSAGE) fputs("Try 'batchtrace collect --help'.\n", stderr);
    } else {
        report_summary(&report, summary);
    }
    if (config.json && summary) {
        char *json = batchtrace_summary_json(summary);
        puts(json);
        free(json);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("batchtrace: writing to stdout");
        if (exit_code == BATCHTRACE_EXIT_OK) exit_code = BATCHTRACE_EXIT_FATAL;
    }
    batchtrace_summary_free(summary);
    cli_config_free(&config);
    return exit_code;
}
