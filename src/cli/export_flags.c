/* See export_flags.h. */
#include "cli/export_flags.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batchtrace.h"

/* See export_flags.h. */
int cli_parse_count(const char *text, uint64_t max, uint64_t *out) {
    if (*text < '0' || *text > '9') return -1;
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (*end != '\0' || errno == ERANGE || value == 0 || value > max) return -1;
    *out = value;
    return 0;
}

/* A positive decimal number of seconds ("30", "0.5"). 0, or -1. */
static int parse_seconds(const char *text, double *out) {
    if ((*text < '0' || *text > '9') && *text != '.') return -1;
    char *end;
    errno = 0;
    double value = strtod(text, &end);
    if (*end != '\0' || errno == ERANGE || !isfinite(value) || value <= 0) return -1;
    *out = value;
    return 0;
}

/* Print a usage error about one flag. -1. */
static int bad_value(const char *flag, const char *wanted, const char *text,
                     const char *command_name) {
    fprintf(stderr, "batchtrace: %s needs %s, not \"%.60s\"\nTry 'batchtrace %s --help'.\n",
            flag, wanted, text, command_name);
    return -1;
}

/* See export_flags.h. The library checks the ranges it cares about (--max-request-bytes
 * at least 1024, --max-in-flight at most 64) and says so. */
int cli_export_limits_parse(const cli_config *config, const char *command_name,
                            cli_export_limits *out) {
    memset(out, 0, sizeof *out);
    uint64_t count;
    if (config->max_request_bytes) {
        if (cli_parse_count(config->max_request_bytes, UINT64_MAX, &count) != 0)
            return bad_value("--max-request-bytes", "a positive whole number of bytes",
                             config->max_request_bytes, command_name);
        out->max_request_bytes = count;
    }
    if (config->max_in_flight) {
        if (cli_parse_count(config->max_in_flight, 1000000, &count) != 0)
            return bad_value("--max-in-flight", "a positive whole number", config->max_in_flight,
                             command_name);
        out->max_in_flight = (unsigned int)count;
    }
    if (config->export_timeout && parse_seconds(config->export_timeout, &out->export_timeout) != 0)
        return bad_value("--export-timeout", "a positive number of seconds",
                         config->export_timeout, command_name);
    return 0;
}

/* Print a usage error about a size flag as the commands do. -1. */
static int bad_size(const char *flag, const char *text, const char *command_name) {
    fprintf(stderr, "batchtrace: %s needs a positive whole number of bytes, not \"%s\"\nTry "
            "'batchtrace %s --help'.\n", flag, text, command_name);
    return -1;
}

/* See export_flags.h. */
int cli_collect_options_parse(const cli_config *config, const char *command_name,
                              batchtrace_collect_options *out) {
    uint64_t max_line_bytes = 0, max_attribute_bytes = 0;
    if (config->max_line_bytes && cli_parse_count(config->max_line_bytes, SIZE_MAX, &max_line_bytes) != 0)
        return bad_size("--max-line-bytes", config->max_line_bytes, command_name);
    if (config->max_attribute_bytes &&
        cli_parse_count(config->max_attribute_bytes, SIZE_MAX, &max_attribute_bytes) != 0)
        return bad_size("--max-attribute-bytes", config->max_attribute_bytes, command_name);
    cli_export_limits limits;
    if (cli_export_limits_parse(config, command_name, &limits) != 0) return -1;
    batchtrace_collect_options collect = BATCHTRACE_COLLECT_OPTIONS_INIT;
    collect.exporter = config->exporter;
    collect.output_path = config->output_path;
    collect.truncate_output = config->truncate;
    collect.endpoint = config->endpoint;
    collect.protocol = config->protocol;
    collect.no_content = config->no_content;
    collect.max_line_bytes = (size_t)max_line_bytes;
    collect.conventions = config->conventions;
    collect.convention_count = config->convention_count;
    collect.max_attribute_bytes = (size_t)max_attribute_bytes;
    collect.store = config->store;
    collect.max_request_bytes = limits.max_request_bytes;
    collect.max_in_flight = limits.max_in_flight;
    collect.export_timeout = limits.export_timeout;
    collect.braintrust_parent = config->braintrust_parent;
    *out = collect;
    return 0;
}

/* The first signal: stop exporting (SA_RESETHAND gives the next one its default course);
 * with no OTLP export under way, the signal takes that course at once. */
static void on_interrupt(int signal_number) {
    if (!batchtrace_interrupt()) raise(signal_number);
}

/* See export_flags.h. A signal the process was started with ignored (SIGINT for a
 * background job of a shell without job control, nohup) stays ignored. */
void cli_catch_interrupts(void) {
    static const int signals[] = {SIGINT, SIGTERM};
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        struct sigaction action, previous;
        memset(&action, 0, sizeof action);
        action.sa_handler = on_interrupt;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESETHAND;
        if (sigaction(signals[i], &action, &previous) == 0 && previous.sa_handler == SIG_IGN)
            sigaction(signals[i], &previous, NULL);
    }
}
