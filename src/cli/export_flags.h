/* What collect and flush share on the command line: the otlp limits typed as text and
 * checked here, and the SIGINT/SIGTERM handling that stops an export without losing it. */
#ifndef BT_CLI_EXPORT_FLAGS_H
#define BT_CLI_EXPORT_FLAGS_H

#include <stdint.h>

#include "batchtrace.h"
#include "cli/options.h"

/* The limits as numbers (0: the library's default). */
typedef struct cli_export_limits {
    uint64_t max_request_bytes;  /* --max-request-bytes */
    unsigned int max_in_flight;  /* --max-in-flight */
    double export_timeout;       /* --export-timeout, seconds */
} cli_export_limits;

/* A positive whole number, digits only (no sign, no suffix), at most max. 0, or -1. */
int cli_parse_count(const char *text, uint64_t max, uint64_t *out);
/* Read the limits of config into out. 0, or -1 after printing what is wrong and a hint to
 * run `batchtrace COMMAND --help` (the caller exits 2). */
int cli_export_limits_parse(const cli_config *config, const char *command_name,
                            cli_export_limits *out);

/* The collect options of a command that collects on its own (sync, proxy) from the
 * command line: the exporter and its limits, --store, --no-content, --truncate, the
 * conventions and the size limits (--max-line-bytes, --max-attribute-bytes, checked here).
 * The callbacks are left to the caller. 0, or -1 after printing what is wrong and a hint to
 * run `batchtrace COMMAND --help` (the caller exits 2). */
int cli_collect_options_parse(const cli_config *config, const char *command_name,
                              batchtrace_collect_options *out);

/* From now on, the first SIGINT or SIGTERM asks the library to stop an OTLP export (what
 * was not delivered is spooled) and a second one ends the process at once; with no OTLP
 * export under way (the file exporter, or before the exporter exists), the first one does. */
void cli_catch_interrupts(void);

#endif
