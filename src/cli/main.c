/* batchtrace: the command-line tool. A table of commands; each command parses its options,
 * calls the library and prints. */
#include <stdio.h>
#include <string.h>

#include "batchtrace.h"
#include "cli/commands.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"start", cmd_start, "record a batch before it runs, export its submit span, print its context"},
    {"bind", cmd_bind, "record the provider's batch id against a context"},
    {"collect", cmd_collect, "turn a batch's results into spans (one per item) and export them"},
    {"flush", cmd_flush, "send the spans a collect run could not deliver (kept in the spool)"},
    {"status", cmd_status, "the batches in the store, their state and counts"},
    {"report", cmd_report, "what a batch cost, what failed and how long it took (table, JSON, HTML)"},
    {"proxy", cmd_proxy, "forward an SDK's calls to the provider and trace every batch passing through"},
    {"sync", cmd_sync, "find every batch of an account through the provider's API and trace each once"},
    {"store", cmd_store, "store migrate: create the store or bring its schema up to date"},
};

/* The top-level help. */
static void print_usage(FILE *out) {
    fputs("Usage: batchtrace COMMAND [options]\n\nCommands:\n", out);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs("\nRun 'batchtrace COMMAND --help' for a command's options; "
          "'batchtrace --version' for the version.\n", out);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        print_usage(stderr);
        return BATCHTRACE_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("batchtrace %s\n", batchtrace_version());
        return BATCHTRACE_EXIT_OK;
    }
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        print_usage(stdout);
        return BATCHTRACE_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0) return commands[i].run(argc - 2, argv + 2);
    fprintf(stderr, "batchtrace: unknown command \"%s\"\n", name);
    print_usage(stderr);
    return BATCHTRACE_EXIT_USAGE;
}
