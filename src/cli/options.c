#include "cli/options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batchtrace.h"
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

/* Every option, in the order --help shows them. An option whose meaning differs between
 * commands has one entry per meaning (disjoint command bits), so each command's help says
 * what the option does there. */
static const cli_option options[] = {
    {"listen", "HOST:PORT", CMD_PROXY, OPT_STRING, AT(listen),
     "where to listen, plain HTTP (default: 127.0.0.1:8787; port 0: any free port)"},
    {"upstream", "URL", CMD_PROXY, OPT_REPEATED, AT(upstreams),
     "where to forward: one URL for every path, or openai=URL and anthropic=URL "
     "(/v1/messages...) given apart (repeatable)"},
    {"provider", "NAME", CMD_SYNC, OPT_STRING, AT(provider),
     "openai or anthropic: whose batches to list (key: $OPENAI_API_KEY or $ANTHROPIC_API_KEY; "
     "API: $OPENAI_BASE_URL or $ANTHROPIC_BASE_URL)"},
    {"batch-id", "ID", CMD_SYNC, OPT_REPEATED, AT(batch_ids),
     "only this batch, read with GET instead of listing the account (repeatable)"},
    {"since", "DATE", CMD_SYNC, OPT_STRING, AT(since),
     "only batches created at or after DATE (YYYY-MM-DD or RFC 3339)"},
    {"once", NULL, CMD_SYNC, OPT_FLAG, AT(once),
     "sync once and exit (the default)"},
    {"every", "SECONDS", CMD_SYNC, OPT_STRING, AT(every),
     "sync again every SECONDS until stopped (SIGINT, SIGTERM)"},
    {"results", "FILE", CMD_COLLECT | CMD_REPORT, OPT_REPEATED, AT(results_paths),
     "a results file: OpenAI output or error JSONL, Anthropic results JSONL (repeatable)"},
    {"batch", "FILE", CMD_COLLECT | CMD_REPORT, OPT_STRING, AT(batch_path),
     "the provider's batch object (JSON): status, timestamps, request counts, batch id"},
    {"input", "FILE", CMD_COLLECT | CMD_START | CMD_REPORT, OPT_STRING, AT(input_path),
     "the batch's requests: OpenAI input JSONL, Anthropic JSONL or create body"},
    {"provider", "NAME", CMD_COLLECT | CMD_START | CMD_REPORT, OPT_STRING, AT(provider),
     "openai or anthropic (default: detected from the content)"},
    {"parent", "TRACEPARENT", CMD_COLLECT | CMD_START, OPT_STRING, AT(parent),
     "W3C traceparent to put the batch under (default: $TRACEPARENT)"},
    {"context", "TOKEN", CMD_COLLECT, OPT_STRING, AT(context),
     "the context token batchtrace start printed (default: the batch object's "
     "metadata.batchtrace_ctx, else the batch id in the store)"},
    {"context", "TOKEN", CMD_BIND, OPT_STRING, AT(context),
     "the context token batchtrace start printed, to record the batch id against"},
    {"batch-id", "ID", CMD_COLLECT, OPT_STRING, AT(batch_id),
     "the provider's batch id: finds the context start left in the store (bound by "
     "batchtrace bind); without --batch, also the batch id of the spans"},
    {"batch-id", "ID", CMD_START, OPT_STRING, AT(batch_id),
     "the provider's batch id, when it is known before submission (else: batchtrace bind)"},
    {"batch-id", "ID", CMD_BIND, OPT_STRING, AT(batch_id),
     "the provider's batch id to record against the context"},
    {"batch-id", "ID", CMD_STATUS, OPT_STRING, AT(batch_id),
     "show only the batch bound to this id"},
    {"batch-id", "ID", CMD_REPORT, OPT_STRING, AT(batch_id),
     "without --results: the report the last collect of this batch (with a context) kept "
     "in the store"},
    {"store", "URL", CMD_REPORT, OPT_STRING, AT(store),
     "the store to read a --batch-id report from, sqlite:PATH (default: $BATCHTRACE_STORE, "
     "else under $XDG_STATE_HOME)"},
    {"prices", "FILE", CMD_COLLECT | CMD_REPORT, OPT_STRING, AT(prices_path),
     "a price table (JSON, as data/prices.json) replacing the built-in one for "
     "batchtrace.cost.*"},
    {"html", "FILE", CMD_REPORT, OPT_STRING, AT(html_path),
     "also write the report as one self-contained HTML page with charts to FILE"},
    {"json", NULL, CMD_REPORT, OPT_FLAG, AT(json),
     "print the report as one JSON object on stdout, instead of the table"},
    {"no-keep-inputs", NULL, CMD_START, OPT_FLAG, AT(no_keep_inputs),
     "keep no compressed copy of the inputs in the store (collect then needs --input)"},
    {"force", NULL, CMD_COLLECT, OPT_FLAG, AT(force),
     "with a context: send again the spans an earlier collect of the batch sent"},
    {"trace-id", "HEX", CMD_COLLECT, OPT_STRING, AT(trace_id),
     "32 hex digits: a root task span in this existing trace"},
    {"exporter", "NAME", CMD_COLLECT | CMD_SYNC | CMD_START | CMD_PROXY, OPT_STRING, AT(exporter),
     "otlp, file or console (default: otlp when an endpoint is set, else file)"},
    {"output", "FILE", CMD_COLLECT | CMD_SYNC | CMD_START | CMD_PROXY, OPT_STRING, AT(output_path),
     "file exporter: the file spans are appended to (default: ./batchtrace-spans.jsonl); "
     "created at the first span, never one of the input files"},
    {"truncate", NULL, CMD_COLLECT | CMD_SYNC | CMD_START, OPT_FLAG, AT(truncate),
     "file exporter: empty the --output file at the first span instead of appending"},
    {"endpoint", "URL", CMD_COLLECT | CMD_SYNC | CMD_FLUSH | CMD_START | CMD_PROXY, OPT_STRING, AT(endpoint),
     "OTLP/HTTP base URL, /v1/traces is appended (default: $OTEL_EXPORTER_OTLP_ENDPOINT)"},
    {"protocol", "NAME", CMD_COLLECT | CMD_SYNC | CMD_START | CMD_PROXY, OPT_STRING, AT(protocol),
     "http/protobuf or http/json (default: $OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf)"},
    {"max-line-bytes", "N", CMD_COLLECT | CMD_SYNC | CMD_PROXY, OPT_STRING, AT(max_line_bytes),
     "reject (and skip) input and result lines longer than N bytes (default: 268435456)"},
    {"max-line-bytes", "N", CMD_START, OPT_STRING, AT(max_line_bytes),
     "reject request lines longer than N bytes (default: 268435456)"},
    {"convention", "NAME", CMD_COLLECT | CMD_SYNC | CMD_START | CMD_PROXY, OPT_REPEATED, AT(conventions),
     "also write a backend's attributes: braintrust, openinference or traceloop "
     "(repeatable; genai is always on)"},
    {"max-attribute-bytes", "N", CMD_COLLECT | CMD_SYNC | CMD_START | CMD_PROXY, OPT_STRING, AT(max_attribute_bytes),
     "cut string values longer than N bytes, marking the span batchtrace.truncated (N >= 16)"},
    {"store", "URL", CMD_COLLECT, OPT_STRING, AT(store),
     "state store (contexts, what was sent, the spool), sqlite:PATH (default: "
     "$BATCHTRACE_STORE, else under $XDG_STATE_HOME)"},
    {"store", "URL", CMD_START, OPT_STRING, AT(store),
     "the store to record the batch in, sqlite:PATH (default: $BATCHTRACE_STORE, else "
     "under $XDG_STATE_HOME)"},
    {"store", "URL", CMD_BIND, OPT_STRING, AT(store),
     "the store to record the batch id in, sqlite:PATH (default: $BATCHTRACE_STORE, else "
     "under $XDG_STATE_HOME)"},
    {"store", "URL", CMD_FLUSH, OPT_STRING, AT(store),
     "the store whose spool to send, sqlite:PATH (default: $BATCHTRACE_STORE, else under "
     "$XDG_STATE_HOME)"},
    {"store", "URL", CMD_STATUS, OPT_STRING, AT(store),
     "the store to list, sqlite:PATH (default: $BATCHTRACE_STORE, else under $XDG_STATE_HOME)"},
    {"max-request-bytes", "N", CMD_COLLECT | CMD_SYNC | CMD_FLUSH | CMD_START | CMD_PROXY, OPT_STRING, AT(max_request_bytes),
     "otlp: no request body sent is larger (default: 4194304)"},
    {"max-in-flight", "N", CMD_COLLECT | CMD_SYNC | CMD_FLUSH | CMD_START, OPT_STRING, AT(max_in_flight),
     "otlp: requests sent or waiting to retry at once, 1-64 (default: 2; each holds up to "
     "--max-request-bytes)"},
    {"max-in-flight", "N", CMD_PROXY, OPT_STRING, AT(max_in_flight),
     "otlp: requests sent or waiting to retry at once, 1-64 (default: 1, to keep the proxy's "
     "memory flat beside the traffic it forwards)"},
    {"export-timeout", "SECONDS", CMD_COLLECT | CMD_SYNC | CMD_START | CMD_PROXY, OPT_STRING, AT(export_timeout),
     "otlp: seconds a request may take, retries included, before it is spooled (default 30)"},
    {"export-timeout", "SECONDS", CMD_FLUSH, OPT_STRING, AT(export_timeout),
     "seconds a request may take, retries included, before it is left in the spool "
     "(default 30)"},
    {"braintrust-parent", "SPEC", CMD_COLLECT | CMD_SYNC | CMD_FLUSH | CMD_START | CMD_PROXY, OPT_STRING, AT(braintrust_parent),
     "with BRAINTRUST_API_KEY: project_name:NAME, project_id:ID or experiment_id:ID"},
    {"no-content", NULL, CMD_COLLECT | CMD_SYNC | CMD_PROXY, OPT_FLAG, AT(no_content),
     "leave out message, tool and output content; keep everything else"},
    {"json", NULL, CMD_COLLECT, OPT_FLAG, AT(json),
     "print one JSON summary object on stdout, and no summary on stderr"},
    {"json", NULL, CMD_START, OPT_FLAG, AT(json),
     "print the context, its OpenAI metadata and ids as one JSON object on stdout, instead "
     "of the token"},
    {"json", NULL, CMD_FLUSH, OPT_FLAG, AT(json),
     "print one JSON summary object on stdout, and no summary on stderr"},
    {"store", "URL", CMD_STORE, OPT_STRING, AT(store),
     "the store to create or upgrade, sqlite:PATH or postgres://... (default: "
     "$BATCHTRACE_STORE, else under $XDG_STATE_HOME)"},
    {"store", "URL", CMD_SYNC, OPT_STRING, AT(store),
     "the store that records every batch and what was sent, sqlite:PATH (default: "
     "$BATCHTRACE_STORE, else under $XDG_STATE_HOME)"},
    {"json", NULL, CMD_SYNC, OPT_FLAG, AT(json),
     "print one JSON summary object per batch on stdout (one per line), and no summary on "
     "stderr"},
    {"store", "URL", CMD_PROXY, OPT_STRING, AT(store),
     "the store that records every batch passing through and what was sent, sqlite:PATH "
     "(default: $BATCHTRACE_STORE, else under $XDG_STATE_HOME)"},
    {"json", NULL, CMD_PROXY, OPT_FLAG, AT(json),
     "log one JSON object per line on stderr (time, level, event, provider, batch_id, path, "
     "message)"},
    {"quiet", NULL, CMD_PROXY, OPT_FLAG, AT(quiet), "log only warnings and errors"},
    {"json", NULL, CMD_STATUS, OPT_FLAG, AT(json),
     "print the batches and the spool as one JSON object on stdout, instead of the table"},
    {"quiet", NULL, CMD_REPORT, OPT_FLAG, AT(quiet), "no warnings on stderr"},
    {"quiet", NULL, CMD_COLLECT, OPT_FLAG, AT(quiet),
     "no summary, progress or warnings on stderr (rejected lines, errors and lost spans are "
     "still reported)"},
    {"quiet", NULL, CMD_START, OPT_FLAG, AT(quiet),
     "no summary or warnings on stderr (rejected request lines and errors are still reported)"},
    {"quiet", NULL, CMD_FLUSH, OPT_FLAG, AT(quiet),
     "no summary or warnings on stderr (errors and lost spans are still reported)"},
    {"quiet", NULL, CMD_BIND, OPT_FLAG, AT(quiet),
     "no confirmation on stderr (errors are still reported)"},
    {"quiet", NULL, CMD_SYNC, OPT_FLAG, AT(quiet),
     "no per-batch lines, progress or warnings on stderr (errors are still reported)"},
    {"help", NULL, CMD_COLLECT | CMD_FLUSH | CMD_START | CMD_BIND | CMD_STATUS | CMD_REPORT |
     CMD_SYNC | CMD_STORE | CMD_PROXY, OPT_FLAG, AT(help), "show this help"},
    {"version", NULL, CMD_COLLECT | CMD_FLUSH | CMD_START | CMD_BIND | CMD_STATUS | CMD_REPORT |
     CMD_SYNC | CMD_STORE | CMD_PROXY, OPT_FLAG,
     AT(version), "print the version"},
};

/* Where the number of values of a repeated option goes. */
static size_t *repeated_count(cli_config *config, const cli_option *option) {
    if (option->offset == AT(conventions)) return &config->convention_count;
    if (option->offset == AT(batch_ids)) return &config->batch_id_count;
    if (option->offset == AT(upstreams)) return &config->upstream_count;
    return &config->results_count;
}

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
            const char ***list = (const char ***)field;
            size_t *count = repeated_count(config, option);
            *list = xreallocarray(*list, *count + 1, sizeof **list);
            (*list)[(*count)++] = value;
        }
    }
    return 0;
}

void cli_print_help(FILE *out, int command) {
    if (command == CMD_FLUSH)
        fputs("Usage: batchtrace flush [--store URL] [--endpoint URL] [options]\n"
              "\n"
              "Send the spans a collect run could not deliver (kept in the store's spool) and\n"
              "delete from the spool what the server accepts. The endpoint, headers and\n"
              "limits come from the same flags and variables as for collect.\n"
              "\n"
              "Options:\n",
              out);
    else if (command == CMD_START)
        fputs("Usage: batchtrace start --input FILE [--provider P] [--parent TP] [--batch-id ID]\n"
              "                        [--no-keep-inputs] [options]\n"
              "\n"
              "Before (or right after) submitting a batch: record its identity in the store,\n"
              "export the {provider}.batch.submit span, and print the context token (with --json:\n"
              "context, metadata to merge into OpenAI's batches.create, trace_id, traceparent).\n"
              "Collect later finds the context from the token, the batch object's metadata or\n"
              "the batch id, and puts every item under the trace that submitted the batch.\n"
              "\n"
              "Options:\n",
              out);
    else if (command == CMD_BIND)
        fputs("Usage: batchtrace bind --batch-id ID --context TOKEN [--store URL]\n"
              "\n"
              "Record the provider's batch id against the context start printed, so that\n"
              "`batchtrace collect --batch-id ID` finds it (Anthropic gives the id only after\n"
              "submission). A batch id already bound to another context is refused.\n"
              "\n"
              "Options:\n",
              out);
    else if (command == CMD_SYNC)
        fputs("Usage: batchtrace sync --provider openai|anthropic [--since DATE] [--batch-id ID]...\n"
              "                       [--once | --every SECONDS] [options]\n"
              "\n"
              "Find every batch of the account through the provider's API and trace each exactly\n"
              "once: record the batches the store has not seen, and collect each ended one not\n"
              "yet complete (OpenAI: the batch, its input, output and error files; Anthropic: the\n"
              "batch and its results, with the requests start kept in the store, else\n"
              "collect-only). Batches traced by start/collect, a binding or the proxy on the same\n"
              "store are not sent again; two syncs on one store share the work.\n"
              "\n"
              "Options:\n",
              out);
    else if (command == CMD_STORE)
        fputs("Usage: batchtrace store migrate [--store URL]\n"
              "\n"
              "Create the store when it does not exist and bring its schema up to this\n"
              "batchtrace's version (every other command does the same on first use), then\n"
              "print the schema version it was at and the one it is at now. Run it once with a\n"
              "role that may create tables, before the collectors that share a PostgreSQL store.\n"
              "\n"
              "Options:\n",
              out);
    else if (command == CMD_PROXY)
        fputs("Usage: batchtrace proxy --upstream URL | --upstream openai=URL --upstream anthropic=URL\n"
              "                        [--listen HOST:PORT] [options]\n"
              "\n"
              "Forward every request to the provider's API byte for byte and trace every batch\n"
              "that passes through, with no code change: point the SDK at the proxy\n"
              "(OPENAI_BASE_URL=http://127.0.0.1:8787/v1, ANTHROPIC_BASE_URL=http://127.0.0.1:8787).\n"
              "The upload and create calls start a batch (a traceparent header on them becomes its\n"
              "parent), the result downloads collect it; the store links them across processes and\n"
              "restarts, and keeps each span to one export with sync, bindings and collect.\n"
              "API keys pass through, never stored or logged. SIGTERM lets requests under way end\n"
              "and finishes the tracing queued (what cannot be delivered is spooled).\n"
              "\n"
              "Options:\n",
              out);
    else if (command == CMD_STATUS)
        fputs("Usage: batchtrace status [--batch-id ID] [--store URL] [--json]\n"
              "\n"
              "The batches in the store (started, collecting, provisional, complete) with their\n"
              "counts, and the spans waiting in the spool.\n"
              "\n"
              "Options:\n",
              out);
    else if (command == CMD_REPORT)
        fputs("Usage: batchtrace report --results FILE [--results FILE]... [--batch FILE]\n"
              "                         [--input FILE] [--json] [--html FILE] [--prices FILE]\n"
              "       batchtrace report --batch-id ID [--store URL] [--json] [--html FILE]\n"
              "\n"
              "What a batch cost, what failed and how long it took, read from the files collect\n"
              "takes (nothing is exported, the store is not used), or kept in the store by the\n"
              "batch's last collect with a context (--batch-id alone): items by outcome, tokens,\n"
              "cost and savings per model, errors grouped by type and message, latency, the\n"
              "slowest and most expensive items. A table on stdout (colour at a terminal unless\n"
              "NO_COLOR is set), or --json; --html FILE also writes one self-contained page.\n"
              "\n"
              "Options:\n",
              out);
    else
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
    if (command == CMD_BIND) {
        fputs("\n"
              "Environment: BATCHTRACE_STORE; BATCHTRACE_SIGNING_KEY (the key tokens are signed\n"
              "with; default: one the store generates); BATCHTRACE_NOW (RFC 3339) pins the\n"
              "time a batch this store never saw is recorded at.\n"
              "\n"
              "Exit codes: 0 done (binding the same pair again too); 1 fatal error (a batch id\n"
              "bound to another context, a broken store); 2 usage error (a token that fails\n"
              "verification).\n",
              out);
        return;
    }
    if (command == CMD_SYNC) {
        fputs("\n"
              "Environment: OPENAI_API_KEY, OPENAI_BASE_URL (default https://api.openai.com/v1),\n"
              "ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL (default https://api.anthropic.com); the\n"
              "exporter's variables, as for collect; BATCHTRACE_STORE; BATCHTRACE_SIGNING_KEY.\n"
              "The key is sent to the API only, never printed, logged or stored.\n"
              "\n"
              "Exit codes: the most severe of the batches' collect codes (0 done; 3 lines\n"
              "rejected; 4 items pending; 5 spans spooled; 1 a batch could not be collected: the\n"
              "next run tries again); batches still running leave it 0; 2 usage error.\n",
              out);
        return;
    }
    if (command == CMD_STORE) {
        fputs("\n"
              "Environment: BATCHTRACE_STORE; PG* variables and ~/.pgpass for a PostgreSQL store.\n"
              "\n"
              "Exit codes: 0 done (a store already up to date too); 1 fatal error (the store\n"
              "cannot be opened or upgraded, or a newer batchtrace made its schema); 2 usage\n"
              "error.\n",
              out);
        return;
    }
    if (command == CMD_STATUS) {
        fputs("\n"
              "Environment: BATCHTRACE_STORE.\n"
              "\n"
              "Exit codes: 0 done (a store that does not exist yet lists nothing); 1 fatal error\n"
              "(a store that cannot be read); 2 usage error.\n",
              out);
        return;
    }
    if (command == CMD_START) {
        fputs("\n"
              "Environment: TRACEPARENT; BATCHTRACE_SIGNING_KEY (the key tokens are signed with;\n"
              "default: one the store generates); BATCHTRACE_STORE; BATCHTRACE_NOW; the\n"
              "exporter's variables, as for collect.\n"
              "\n"
              "Exit codes: 0 done; 3 request lines rejected (no token: the provider would refuse\n"
              "the batch); 5 the submit span was spooled; 1 fatal error; 2 usage error.\n",
              out);
        return;
    }
    if (command == CMD_FLUSH) {
        fputs("\n"
              "Environment: OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, _HEADERS, _TIMEOUT (ms),\n"
              "_COMPRESSION (gzip|none); BRAINTRUST_API_KEY, BRAINTRUST_API_URL; BATCHTRACE_STORE.\n"
              "\n"
              "Exit codes: 0 the spool is empty; 5 spans still wait in the spool (or the server\n"
              "rejected some); 1 fatal error (the store is broken); 2 usage error.\n",
              out);
        return;
    }
    fputs("\n"
          "Environment: OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,\n"
          "OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_PROTOCOL, OTEL_EXPORTER_OTLP_TIMEOUT,\n"
          "OTEL_EXPORTER_OTLP_COMPRESSION (each also as OTEL_EXPORTER_OTLP_TRACES_*),\n"
          "OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, TRACEPARENT; BRAINTRUST_API_KEY (with\n"
          "BRAINTRUST_API_URL, BRAINTRUST_PARENT) exports to Braintrust; BATCHTRACE_STORE;\n"
          "BATCHTRACE_NOW (RFC 3339) pins the collection time.\n"
          "\n"
          "Exit codes: 0 done; 3 some input lines rejected; 4 incomplete, items pending;\n"
          "5 export failed (what was not delivered waits in the spool: batchtrace flush);\n"
          "1 fatal error; 2 usage error (the most severe applies).\n",
          out);
}

void cli_config_free(cli_config *config) {
    free(config->results_paths);
    config->results_paths = NULL;
    free(config->conventions);
    config->conventions = NULL;
    free(config->batch_ids);
    config->batch_ids = NULL;
    free(config->upstreams);
    config->upstreams = NULL;
}

/* See options.h. */
int cli_main(int command, const char *name, int argc, char **argv,
             int (*run)(const cli_config *config)) {
    cli_config config;
    int exit_code;
    if (cli_parse(command, argc, argv, &config) != 0) {
        fprintf(stderr, "Try 'batchtrace %s --help'.\n", name);
        exit_code = BATCHTRACE_EXIT_USAGE;
    } else if (config.help) {
        cli_print_help(stdout, command);
        exit_code = BATCHTRACE_EXIT_OK;
    } else if (config.version) {
        printf("batchtrace %s\n", batchtrace_version());
        exit_code = BATCHTRACE_EXIT_OK;
    } else {
        exit_code = run(&config);
    }
    cli_config_free(&config);
    return exit_code;
}
