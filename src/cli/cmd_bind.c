/* `batchtrace bind`: parse, call batchtrace_bind, say what was bound. */
#include <stdio.h>

#include "batchtrace.h"
#include "cli/commands.h"
#include "cli/options.h"

/* See commands.h. */
int cmd_bind(int argc, char **argv) {
    cli_config config;
    int exit_code = BATCHTRACE_EXIT_USAGE;
    if (cli_parse(CMD_BIND, argc, argv, &config) != 0) {
        fputs("Try 'batchtrace bind --help'.\n", stderr);
        goto done;
    }
    if (config.help || config.version) {
        if (config.help) cli_print_help(stdout, CMD_BIND);
        else printf("batchtrace %s\n", batchtrace_version());
        exit_code = BATCHTRACE_EXIT_OK;
        goto done;
    }
    batchtrace_bind_options options = BATCHTRACE_BIND_OPTIONS_INIT;
    options.batch_id = config.batch_id;
    options.context = config.context;
    options.store = config.store;
    int rc = batchtrace_bind(&options);
    if (rc == BATCHTRACE_OK) {
        if (!config.quiet)
            fprintf(stderr, "batchtrace: bound batch %s to its context\n", config.batch_id);
        exit_code = BATCHTRACE_EXIT_OK;
        goto done;
    }
    fprintf(stderr, "batchtrace: error: %s\n", batchtrace_last_error());
    if (rc == BATCHTRACE_EUSAGE) fputs("Try 'batchtrace bind --help'.\n", stderr);
    exit_code = rc == BATCHTRACE_EUSAGE ? BATCHTRACE_EXIT_USAGE : BATCHTRACE_EXIT_FATAL;
done:
    cli_config_free(&config);
    return exit_code;
}
