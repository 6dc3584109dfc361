/* `batchtrace store migrate`: create the store named by --store (else $BATCHTRACE_STORE,
 * else the default path) or bring its schema up to this batchtrace's version, as every
 * command does on first use, and print the version it was at and the one it is at now. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batchtrace.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "store/store.h"
#include "util/reason.h"

/* Open (creating or upgrading) the store at url and print its versions on stdout. The
 * exit code: 0, or 1 with the reason on stderr. */
static int migrate_store(const char *url) {
    char reason[REASON_MAX] = "";
    store_t *store = store_open(url, true, reason);
    if (!store) {
        fprintf(stderr, "batchtrace: error: %s\n", reason);
        return BATCHTRACE_EXIT_FATAL;
    }
    int64_t from = store_opened_version(store), to = 0;
    int exit_code = BATCHTRACE_EXIT_FATAL;
    if (store_schema_version(store, &to, reason) != 0) {
        fprintf(stderr, "batchtrace: error: %s\n", reason);
        goto done;
    }
    if (from == to)
        printf("%s: schema version %lld, up to date\n", store_url(store), (long long)to);
    else
        printf("%s: schema version %lld -> %lld\n", store_url(store), (long long)from,
               (long long)to);
    exit_code = BATCHTRACE_EXIT_OK;
done:
    store_close(store);
    return exit_code;
}

/* See commands.h. */
int cmd_store(int argc, char **argv) {
    cli_config config;
    memset(&config, 0, sizeof config);
    int exit_code = BATCHTRACE_EXIT_USAGE;
    bool migrate = argc > 0 && strcmp(argv[0], "migrate") == 0;
    if (cli_parse(CMD_STORE, migrate ? argc - 1 : argc, migrate ? argv + 1 : argv, &config) != 0)
        goto usage;
    if (config.help || config.version) {
        if (config.help) cli_print_help(stdout, CMD_STORE);
        else printf("batchtrace %s\n", batchtrace_version());
        exit_code = BATCHTRACE_EXIT_OK;
        goto done;
    }
    if (!migrate) {
        fputs("batchtrace: store needs a subcommand: migrate\n", stderr);
        goto usage;
    }
    char reason[REASON_MAX] = "";
    char *url = store_resolve_url(config.store, reason);
    if (!url) {
        fprintf(stderr, "batchtrace: error: %s\n", reason);
        goto usage;
    }
    exit_code = migrate_store(url);
    free(url);
    goto done;
usage:
    fputs("Try 'batchtrace store --help'.\n", stderr);
done:
    cli_config_free(&config);
    return exit_code;
}
