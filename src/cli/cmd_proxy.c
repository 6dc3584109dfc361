/* `batchtrace proxy`: parse, turn --upstream into the providers' base URLs, run the proxy
 * (src/proxy/) until SIGTERM or SIGINT. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batchtrace.h"
#include "cli/commands.h"
#include "cli/export_flags.h"
#include "cli/options.h"
#include "proxy/proxy.h"
#include "util/reason.h"

/* Print a usage error and the hint; returns the usage exit code. */
static int usage_error(const char *message, const char *value) {
    fprintf(stderr, "batchtrace: %s \"%s\"\nTry 'batchtrace proxy --help'.\n", message, value);
    return BATCHTRACE_EXIT_USAGE;
}

/* Whether url starts with http:// or https://. */
static bool is_http_url(const char *url) {
    return strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
}

/* --upstream values into options: "URL" for every path, "openai=URL", "anthropic=URL".
 * 0, or the usage exit code after saying what is wrong. */
static int read_upstreams(const cli_config *config, proxy_options *options) {
    for (size_t i = 0; i < config->upstream_count; i++) {
        const char *value = config->upstreams[i];
        const char **slot = &options->upstream;
        if (strncmp(value, "openai=", 7) == 0) {
            slot = &options->openai_upstream;
            value += 7;
        } else if (strncmp(value, "anthropic=", 10) == 0) {
            slot = &options->anthropic_upstream;
            value += 10;
        }
        if (!is_http_url(value))
            return usage_error("--upstream needs an http:// or https:// URL (or openai=URL, "
                               "anthropic=URL), not", config->upstreams[i]);
        if (*slot)
            return usage_error("--upstream is given twice for the same paths:",
                               config->upstreams[i]);
        *slot = value;
    }
    if (!options->upstream && !options->openai_upstream && !options->anthropic_upstream) {
        fputs("batchtrace: proxy needs --upstream URL (or --upstream openai=URL and "
              "--upstream anthropic=URL)\nTry 'batchtrace proxy --help'.\n", stderr);
        return BATCHTRACE_EXIT_USAGE;
    }
    return 0;
}

/* The command's work once the options are read. */
static int run(const cli_config *config) {
    batchtrace_collect_options collect;
    if (cli_collect_options_parse(config, "proxy", &collect) != 0) return BATCHTRACE_EXIT_USAGE;
    proxy_options options;
    memset(&options, 0, sizeof options);
    int bad = read_upstreams(config, &options);
    if (bad) return bad;
    /* A batch's parent is the traceparent header of its submit call, never the proxy's own. */
    unsetenv("TRACEPARENT");

    /* One request in flight rather than collect's four: each holds an encoded request
     * (up to --max-request-bytes), and the proxy's memory must stay flat (bench/proxy.sh). */
    if (!collect.max_in_flight) collect.max_in_flight = 1;
    options.listen = config->listen;
    options.collect = &collect;
    options.json_logs = config->json;
    options.quiet = config->quiet;
    char reason[REASON_MAX];
    reason[0] = '\0';
    int exit_code = proxy_run(&options, reason);
    if (reason[0]) {
        fprintf(stderr, "batchtrace: error: %s\n", reason);
        if (exit_code == BATCHTRACE_EXIT_USAGE) fputs("Try 'batchtrace proxy --help'.\n", stderr);
    }
    return exit_code;
}

/* See commands.h. */
int cmd_proxy(int argc, char **argv) { return cli_main(CMD_PROXY, "proxy", argc, argv, run); }
