/* `batchtrace status`: parse, call batchtrace_status, print a table (or the --json object). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batchtrace.h"
#include "cli/commands.h"
#include "cli/options.h"

/* What the table shows for a text value: "-" for an empty one. */
static const char *shown(const char *value) { return *value ? value : "-"; }

enum { TEXT_COLUMNS = 4 }; /* provider, batch id, state, status */

/* The text columns of batch b, as the table shows them. */
static void text_columns(const batchtrace_batch_status *b, const char *out[TEXT_COLUMNS]) {
    out[0] = shown(b->provider);
    out[1] = shown(b->batch_id);
    out[2] = shown(b->state);
    out[3] = shown(b->batch_status);
}

/* A table of the batches on stdout, for a person. Each text column is as wide as its
 * longest value (an OpenAI batch id has 38 characters), so the columns always line up. */
static void print_table(const batchtrace_status_summary *s) {
    if (s->batch_count == 0) {
        printf("no batches in %s\n", s->store);
    } else {
        const char *headings[TEXT_COLUMNS] = {"PROVIDER", "BATCH", "STATE", "STATUS"};
        int widths[TEXT_COLUMNS];
        for (int k = 0; k < TEXT_COLUMNS; k++) widths[k] = (int)strlen(headings[k]);
        for (size_t i = 0; i < s->batch_count; i++) {
            const char *values[TEXT_COLUMNS];
            text_columns(&s->batches[i], values);
            for (int k = 0; k < TEXT_COLUMNS; k++) {
                size_t len = strlen(values[k]);
                if (len > (size_t)widths[k]) widths[k] = len > 4096 ? 4096 : (int)len;
            }
        }
        printf("%-*s %-*s %-*s %-*s %8s %8s %4s\n", widths[0], headings[0], widths[1],
               headings[1], widths[2], headings[2], widths[3], headings[3], "REQUESTS",
               "EXPORTED", "TASK");
        for (size_t i = 0; i < s->batch_count; i++) {
            const batchtrace_batch_status *b = &s->batches[i];
            const char *values[TEXT_COLUMNS];
            text_columns(b, values);
            printf("%-*s %-*s %-*s %-*s %8llu %8llu %4s\n", widths[0], values[0], widths[1],
                   values[1], widths[2], values[2], widths[3], values[3],
                   (unsigned long long)b->request_count, (unsigned long long)b->items_exported,
                   b->task_exported ? "yes" : "no");
        }
    }
    if (s->spooled_spans)
        printf("%llu span%s in %llu request%s wait in the spool: batchtrace flush\n",
               (unsigned long long)s->spooled_spans, s->spooled_spans == 1 ? "" : "s",
               (unsigned long long)s->spooled_requests, s->spooled_requests == 1 ? "" : "s");
}

/* See commands.h. */
int cmd_status(int argc, char **argv) {
    cli_config config;
    int exit_code = BATCHTRACE_EXIT_USAGE;
    batchtrace_status_summary *summary = NULL;
    if (cli_parse(CMD_STATUS, argc, argv, &config) != 0) {
        fputs("Try 'batchtrace status --help'.\n", stderr);
        goto done;
    }
    if (config.help || config.version) {
        if (config.help) cli_print_help(stdout, CMD_STATUS);
        else printf("batchtrace %s\n", batchtrace_version());
        exit_code = BATCHTRACE_EXIT_OK;
        goto done;
    }
    batchtrace_status_options options = BATCHTRACE_STATUS_OPTIONS_INIT;
    options.store = config.store;
    options.batch_id = config.batch_id;
    int rc = batchtrace_status(&summary, &options);
    if (rc != BATCHTRACE_OK) {
        fprintf(stderr, "batchtrace: error: %s\n", batchtrace_last_error());
        if (rc == BATCHTRACE_EUSAGE) fputs("Try 'batchtrace status --help'.\n", stderr);
        exit_code = rc == BATCHTRACE_EUSAGE ? BATCHTRACE_EXIT_USAGE : BATCHTRACE_EXIT_FATAL;
        goto done;
    }
    if (config.json) {
        char *json = batchtrace_status_summary_json(summary);
        puts(json);
        free(json);
    } else {
        print_table(summary);
    }
    exit_code = BATCHTRACE_EXIT_OK;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("batchtrace: writing to stdout");
        exit_code = BATCHTRACE_EXIT_FATAL;
    }
done:
    batchtrace_status_summary_free(summary);
    cli_config_free(&config);
    return exit_code;
}
