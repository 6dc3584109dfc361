#include "cli/options.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"

/* How an option stores its value. */
typedef enum option_kind { OPT_STRING, OPT_REPEATED, OPT_FLAG } option_kind;

typedef struct cli_option {
    const char *name;        /* without the leading "--" */
    const char *value_name;  /* shown in help; NULL for flags */
    int commands;            /* CMD_* bits */
    option_kind kind;
    size_t offset;           /* where in cli_config the value goes */
    const char *help;        /* one or two lines */
} cli_option;

#define AT(field) offsetof(cli_config, field)

static const cli_option options[] = {
    {"results", "FILE", CMD_COLLECT, OPT_REPEATED, AT(results_paths),
     "a results file: OpenAI output or error JSONL, Anthropic results JSONL (repeatable)"},
    {"batch", "FILE", CMD_COLLECT, OPT_STRING, AT(batch_path),
     "the provider's batch object (JSON): status, timestamps, request counts, batch id"},
    {"input", "FILE", CMD_COLLECT, OPT_STRING, AT(input_path),
     "the batch's requests: OpenAI input JSONL, Anthropic JSONL or create body"},
    {"provider", "NAME", CMD_COLLECT, OPT_STRING, AT(provider),
     "openai or anthropic (default: detected from the content)"},
    {"parent", "TRACEPARENT", CMD_COLLECT, OPT_STRING, AT(parent),
     "W3C traceparent to put the batch under (default: $TRACEPARENT)"},
    {"trace-id", "HEX", CMD_COLLECT, OPT_STRING, AT(trace_id),
     "32 hex digits: a root task span in this existing trace"},
    {"exporter", "NAME", CMD_COLLECT, OPT_STRING, AT(exporter),
     "otlp, file or console (default: otlp when an endpoint is set, else file)"},
    {"output", "FILE", CMD_COLLECT, OPT_STRING, AT(output_path),
     "file exporter: where to write (default: ./batchtrace-spans.jsonl)"},
    {"endpoint", "URL", CMD_COLLECT, OPT_STRING, AT(endpoint),
     "OTLP/HTTP base URL, /v1/traces is appended (default: $OTEL_EXPORTER_OTLP_ENDPOINT)"},
    {"protocol", "NAME", CMD_COLLECT, OPT_STRING, AT(protocol),
     "http/protobuf or http/json (default: $OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf)"},
    {"no-content", NULL, CMD_COLLECT, OPT_FLAG, AT(no_content),
     "leave out message, tool and output content; keep everything else"},
    {"json", NULL, CMD_COLLECT, OPT_FLAG, AT(json),
     "print one JSON summary object on stdout"},
    {"quiet", NULL, CMD_COLLECT, OPT_FLAG, AT(quiet),
     "no summary, progress or warnings on stderr (rejected lines are still reported)"},
    {"help", NULL, CMD_COLLECT, OPT_FLAG, AT(help), "show this help"},
    {"version", NULL, CMD_COLLECT, OPT_FLAG, AT(version), "print the version"},
};

/* The option called name (without "--") for command, or NULL. */
static const cli_option *find_option(int command, const char *name, size_t len) {
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
        if ((options[i].commands & command) && strlen(options[i].name) == len &&
            memcmp(options[i].name, name, len) == 0)
            return &options[i];
    return NULL;
}

int cli_parse(int command, int argc, char **argv, cli_config *config) {
    memset(config, 0, sizeof *config);
    config->command = command;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0) {
            fprintf(stderr, "batchtrace: unexpected argument \"%s\"\n", arg);
            return -1;
        }
        const char *name = arg + 2;
        const char *eq = strchr(name, '=');
        size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
        const cli_option *option = find_option(command, name, name_len);
        if (!option) {
            fprintf(stderr, "batchtrace: unknown option \"--%.*s\"\n", (int)name_len, name);
            return -1;
        }
        char *field = (char *)config + option->offset;
        if (option->kind == OPT_FLAG) {
            if (eq) {
                fprintf(stderr, "batchtrace: --%s takes no value\n", option->name);
                return -1;
            }
            *(bool *)field = true;
            continue;
        }
        const char *value = eq ? eq + 1 : NULL;
        if (!value) {
            if (i + 1 >= argc) {
                fprintf(stderr, "batchtrace: --%s needs a value (%s)\n", option->name,
                        option->value_name);
                return -1;
            }
            value = argv[++i];
        }
        if (option->kind == OPT_STRING) {
            *(const char **)field = value;
        } else {
            config->results_paths = xreallocarray(config->results_paths,
                                                  config->results_count + 1,
                                                  sizeof *config->results_paths);
            config->results_paths[config->results_count++] = value;
        }
    }
    return 0;
}

void cli_print_help(FILE *out, int command) {
    (void)command;
    fputs("Usage: batchtrace collect --results FILE [--results FILE]... [--batch FILE]\n"
          "                          [--input FILE] [--parent TP | --trace-id HEX] [options]\n"
          "\n"
          "Turn a finished (or running) LLM batch job into OpenTelemetry spans: one task span\n"
          "for the batch and one GenAI span per item, matched to its request by custom_id.\n"
          "\n"
          "Options:\n",
          out);
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
        if (!(options[i].commands & command)) continue;
        char left[48];
        if (options[i].value_name)
            snprintf(left, sizeof left, "--%s %s", options[i].name, options[i].value_name);
        else
            snprintf(left, sizeof left, "--%s", options[i].name);
        fprintf(out, "  %-24s %s\n", left, options[i].help);
    }
    fputs("\n"
          "Environment: OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,\n"
          "OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_EXPORTER_OTLP_TIMEOUT,\n"
          "OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, TRACEPARENT; BATCHTRACE_NOW (RFC 3339)\n"
          "pins the collection time.\n"
          "\n"
          "Exit codes: 0 done; 3 some input lines rejected; 4 incomplete, items pending;\n"
          "5 export failed; 1 fatal error; 2 usage error (the most severe applies).\n",
          out);
}

void cli_config_free(cli_config *config) {
    free(config->results_paths);
    config->results_paths = NULL;
}
