/* The one list of every command-line option with its help text, so that --help and the
 * README cannot drift, and the parser that fills a cli_config from argv. */
#ifndef BT_CLI_OPTIONS_H
#define BT_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Commands, as bits so an option can belong to several. */
enum {
    CMD_COLLECT = 1,
    CMD_FLUSH = 2,
    CMD_START = 4,
    CMD_BIND = 8,
    CMD_STATUS = 16,
    CMD_REPORT = 64,
    CMD_SYNC = 32,
    CMD_STORE = 128,
    CMD_PROXY = 256,
};

/* Everything the user asked for; strings borrow from argv. */
typedef struct cli_config {
    int command;                   /* CMD_* */
    const char **results_paths;    /* --results, repeatable (owned array) */
    size_t results_count;
    const char *batch_path;        /* --batch */
    const char *input_path;        /* --input */
    const char *provider;          /* --provider */
    const char *parent;            /* --parent */
    const char *trace_id;          /* --trace-id */
    const char *exporter;          /* --exporter */
    const char *output_path;       /* --output */
    const char *endpoint;          /* --endpoint */
    const char *protocol;          /* --protocol */
    const char *max_line_bytes;    /* --max-line-bytes, as typed (checked by the command) */
    const char **conventions;      /* --convention, repeatable (owned array) */
    size_t convention_count;
    const char *max_attribute_bytes; /* --max-attribute-bytes, as typed */
    const char *store;             /* --store */
    const char *max_request_bytes; /* --max-request-bytes, as typed (checked by the command) */
    const char *max_in_flight;     /* --max-in-flight, as typed */
    const char *export_timeout;    /* --export-timeout, as typed */
    const char *braintrust_parent; /* --braintrust-parent */
    const char *context;           /* --context */
    const char *batch_id;          /* --batch-id */
    const char **batch_ids;        /* sync --batch-id, repeatable (owned array) */
    size_t batch_id_count;
    const char *since;             /* sync --since, as typed */
    const char *every;             /* sync --every, as typed */
    bool once;                     /* sync --once */
    bool no_keep_inputs;           /* --no-keep-inputs */
    bool force;                    /* --force */
    bool no_content;               /* --no-content */
    bool truncate;                 /* --truncate */
    bool json;                     /* --json */
    bool quiet;                    /* --quiet */
    bool help;                     /* --help */
    bool version;                  /* --version */
    const char *prices_path;       /* --prices */
    const char *html_path;         /* --html */
    const char *listen;            /* proxy --listen */
    const char **upstreams;        /* proxy --upstream, repeatable (owned array) */
    size_t upstream_count;
} cli_config;

/* Parse the arguments after the command name. Returns 0, or -1 after printing what is wrong
 * (the caller exits 2). */
int cli_parse(int command, int argc, char **argv, cli_config *config);
/* A command's whole life: parse argv (usage errors: exit 2 with "Try 'batchtrace NAME
 * --help'."), --help, --version, else run(config); the config is freed after. Returns the
 * exit code. */
int cli_main(int command, const char *name, int argc, char **argv,
             int (*run)(const cli_config *config));
/* Print the help of a command (every option it takes, from the table). */
void cli_print_help(FILE *out, int command);
/* Free what cli_parse allocated. */
void cli_config_free(cli_config *config);

#endif
