/* Which exporter, configured how (see select.h). The OTEL_* variables follow the
 * OpenTelemetry specification ("OTLP Exporter Configuration"): a per-signal variable
 * (OTEL_EXPORTER_OTLP_TRACES_*) beats the general one; headers are comma-separated
 * key=value pairs, percent-decoded; the timeout is in milliseconds; compression is gzip
 * or none. Header names and values are never copied into any message. */
#include "export/select.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "export/http.h"
#include "export/url.h"
#include "source/source.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/buf.h"

#define DEFAULT_OUTPUT "./batchtrace-spans.jsonl"
#define BRAINTRUST_DEFAULT_API_URL "https://api.braintrust.dev"

/* The variable's value when set and non-empty, else NULL. */
static const char *env(const char *name) {
    const char *value = getenv(name);
    return value && *value ? value : NULL;
}

/* The traces variant of OTEL_EXPORTER_OTLP_<suffix> when set, else the general one. */
static const char *otlp_env(const char *suffix, const char **name_used) {
    static const char *const traces[] = {"OTEL_EXPORTER_OTLP_TRACES_HEADERS",
                                         "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
                                         "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
                                         "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION"};
    static const char *const general[] = {"OTEL_EXPORTER_OTLP_HEADERS",
                                          "OTEL_EXPORTER_OTLP_PROTOCOL",
                                          "OTEL_EXPORTER_OTLP_TIMEOUT",
                                          "OTEL_EXPORTER_OTLP_COMPRESSION"};
    for (size_t i = 0; i < sizeof traces / sizeof traces[0]; i++) {
        if (strcmp(general[i] + strlen("OTEL_EXPORTER_OTLP_"), suffix) != 0) continue;
        const char *value = env(traces[i]);
        *name_used = traces[i];
        if (!value) {
            value = env(general[i]);
            *name_used = general[i];
        }
        return value;
    }
    return NULL;
}

/* Value of one hex digit, or -1. */
static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Append s[0..len) percent-decoded and trimmed of surrounding blanks. */
static void append_decoded(buf_t *out, const char *s, size_t len) {
    while (len && (*s == ' ' || *s == '\t')) s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
    for (size_t i = 0; i < len; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < len && (hi = hex_digit(s[i + 1])) >= 0 &&
            (lo = hex_digit(s[i + 2])) >= 0) {
            buf_putc(out, (char)(hi << 4 | lo));
            i += 2;
        } else {
            buf_putc(out, s[i]);
        }
    }
}

/* Append a header line to a NULL-terminated malloc'd array, growing it. */
static char **push_header(char **headers, size_t *count, char *line) {
    headers = xreallocarray(headers, *count + 2, sizeof *headers);
    headers[(*count)++] = line;
    headers[*count] = NULL;
    return headers;
}

/* Parse OTEL_EXPORTER_OTLP_HEADERS syntax ("k1=v1,k2=v2", percent-encoded) into "k: v"
 * lines appended to headers. Pairs without '=' or with an empty key are skipped. */
static char **parse_headers(const char *spec, char **headers, size_t *count) {
    while (spec && *spec) {
        const char *end = strchr(spec, ',');
        size_t len = end ? (size_t)(end - spec) : strlen(spec);
        const char *eq = memchr(spec, '=', len);
        if (eq) {
            buf_t line = BUF_INIT;
            append_decoded(&line, spec, (size_t)(eq - spec));
            if (line.len > 0) {
                buf_puts(&line, ": ");
                append_decoded(&line, eq + 1, len - (size_t)(eq - spec) - 1);
                headers = push_header(headers, count, buf_detach(&line));
            }
            buf_free(&line);
        }
        spec = end ? end + 1 : NULL;
    }
    return headers;
}

/* Free a header array. */
static void free_headers(char **headers) {
    for (size_t i = 0; headers && headers[i]; i++) free(headers[i]);
    free(headers);
}

/* The traces URL from --endpoint or OTEL_EXPORTER_OTLP_ENDPOINT with "/v1/traces"
 * appended, or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is. NULL when none is configured. */
static char *traces_url(const export_request *request) {
    const char *base = request->endpoint;
    if (!base) {
        const char *signal = env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
        if (signal) return xstrdup(signal);
        base = env("OTEL_EXPORTER_OTLP_ENDPOINT");
    }
    if (!base) return NULL;
    return url_append_path(base, "/v1/traces");
}

/* True for a byte that may not appear in a header value. */
static bool is_control(unsigned char c) { return c < 0x20 || c == 0x7F; }

/* Check an x-bt-parent value: project_name:NAME, project_id:ID or experiment_id:ID. */
static int check_braintrust_parent(const char *parent, const char *source, char *reason) {
    static const char *const kinds[] = {"project_name:", "project_id:", "experiment_id:"};
    size_t prefix = 0;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strncmp(parent, kinds[i], strlen(kinds[i])) == 0) prefix = strlen(kinds[i]);
    if (prefix == 0 || parent[prefix] == '\0' || strlen(parent) > 512)
        return fail(reason, "%s must be project_name:NAME, project_id:ID or experiment_id:ID, "
                            "not \"%.80s\"", source, parent);
    for (const char *at = parent; *at; at++)
        if (is_control((unsigned char)*at))
            return fail(reason, "%s contains a control character", source);
    return 0;
}

/* See select.h. */
bool export_braintrust_preset(const export_request *request) {
    if (!env("BRAINTRUST_API_KEY")) return false;
    if (request->exporter && strcmp(request->exporter, "otlp") != 0) return false;
    if (!request->exporter) {
        const char *traces_exporter = env("OTEL_TRACES_EXPORTER");
        if (traces_exporter && strcmp(traces_exporter, "console") == 0) return false;
    }
    return !request->endpoint && !env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") &&
           !env("OTEL_EXPORTER_OTLP_ENDPOINT");
}

/* The preset's URL, Authorization line and parent into out. -1 with reason. */
static int braintrust_settings(const export_request *request, otlp_settings *out,
                               size_t *header_count, char *reason) {
    const char *key = env("BRAINTRUST_API_KEY");
    for (const char *at = key; *at; at++)
        if (is_control((unsigned char)*at))
            return fail(reason, "BRAINTRUST_API_KEY contains a control character");
    const char *parent = request->braintrust_parent;
    const char *source = "--braintrust-parent";
    if (!parent) {
        parent = env("BRAINTRUST_PARENT");
        source = "BRAINTRUST_PARENT";
    }
    if (!parent && !request->parent_optional)
        return fail(reason, "the Braintrust preset (BRAINTRUST_API_KEY) needs a parent: "
                            "--braintrust-parent project_name:NAME, project_id:ID or "
                            "experiment_id:ID (or BRAINTRUST_PARENT)");
    if (parent && check_braintrust_parent(parent, source, reason) != 0) return -1;
    const char *api_url = env("BRAINTRUST_API_URL");
    out->url = url_append_path(api_url ? api_url : BRAINTRUST_DEFAULT_API_URL, "/otel/v1/traces");
    buf_t line = BUF_INIT;
    buf_printf(&line, "Authorization: Bearer %s", key);
    out->headers = push_header(out->headers, header_count, buf_detach(&line));
    out->braintrust_parent = xstrdup(parent);
    return 0;
}

/* Check the numeric limits of request into config. -1 with reason. */
static int limits(const export_request *request, otlp_config *config, char *reason) {
    if (request->max_request_bytes &&
        (request->max_request_bytes < EXPORT_MIN_REQUEST_BYTES ||
         request->max_request_bytes > SIZE_MAX / 2))
        return fail(reason, "--max-request-bytes must be at least %d, not %llu",
                    EXPORT_MIN_REQUEST_BYTES, (unsigned long long)request->max_request_bytes);
    config->max_request_bytes = (size_t)request->max_request_bytes;
    if (request->max_in_flight > EXPORT_MAX_IN_FLIGHT)
        return fail(reason, "--max-in-flight must be between 1 and %d, not %u",
                    EXPORT_MAX_IN_FLIGHT, request->max_in_flight);
    config->max_in_flight = request->max_in_flight;
    double seconds = request->export_timeout_s;
    if (!isfinite(seconds) || seconds < 0 || (seconds > 0 && seconds < 0.001) || seconds > 86400)
        return fail(reason, "--export-timeout must be between 0.001 and 86400 seconds");
    config->export_timeout_ms = (long)(seconds * 1000);
    return 0;
}

/* See select.h. */
int export_otlp_settings(const export_request *request, otlp_settings *out, int *usage_error,
                         char *reason) {
    memset(out, 0, sizeof *out);
    *usage_error = 1;
    size_t header_count = 0;
    otlp_config *config = &out->config;
    bool preset = export_braintrust_preset(request);
    if (request->braintrust_parent && !preset) {
        fail(reason, "--braintrust-parent needs the Braintrust preset: BRAINTRUST_API_KEY set, "
                     "and no --endpoint or OTEL_EXPORTER_OTLP_ENDPOINT");
        goto failed;
    }
    if (preset) {
        if (braintrust_settings(request, out, &header_count, reason) != 0) goto failed;
    } else {
        out->url = traces_url(request);
        const char *name;
        out->headers = parse_headers(otlp_env("HEADERS", &name), out->headers, &header_count);
    }
    if (!out->url) {
        fail(reason, "the otlp exporter needs an endpoint: --endpoint URL or "
                     "OTEL_EXPORTER_OTLP_ENDPOINT (or BRAINTRUST_API_KEY)");
        goto failed;
    }
    for (size_t i = 0; i < header_count; i++)
        if (http_check_header_line(out->headers[i], i, reason) != 0) goto failed;
    config->traces_url = out->url;
    config->headers = (const char *const *)out->headers;
    config->braintrust_parent = out->braintrust_parent;

    const char *name = "--protocol";
    const char *protocol = request->protocol;
    if (!protocol) protocol = otlp_env("PROTOCOL", &name);
    if (!protocol) protocol = "http/protobuf";
    if (strcmp(protocol, "http/json") == 0) {
        config->protocol = OTLP_HTTP_JSON;
    } else if (strcmp(protocol, "http/protobuf") == 0) {
        config->protocol = OTLP_HTTP_PROTOBUF;
    } else {
        fail(reason, "unsupported OTLP protocol \"%.40s\" (use http/protobuf or http/json)",
             protocol);
        goto failed;
    }
    const char *compression = otlp_env("COMPRESSION", &name);
    if (compression && strcmp(compression, "gzip") == 0) {
        config->gzip = 1;
    } else if (compression && strcmp(compression, "none") != 0) {
        fail(reason, "%s must be gzip or none, not \"%.40s\"", name, compression);
        goto failed;
    }
    config->timeout_ms = OTLP_DEFAULT_TIMEOUT_MS;
    const char *timeout = otlp_env("TIMEOUT", &name);
    if (timeout) {
        char *end;
        errno = 0;
        long ms = strtol(timeout, &end, 10);
        if (*end != '\0' || ms <= 0 || errno == ERANGE) {
            fail(reason, "%s must be a positive number of milliseconds, not \"%.40s\"", name,
                 timeout);
            goto failed;
        }
        config->timeout_ms = ms;
    }
    if (limits(request, config, reason) != 0) goto failed;
    out->store_url = store_resolve_url(request->store_url, reason);
    if (!out->store_url) goto failed;
    config->store_url = out->store_url;
    config->on_notice = request->on_notice;
    config->notice_ctx = request->notice_ctx;

    char *shown = url_redact(out->url);
    buf_t where = BUF_INIT;
    buf_printf(&where, "%s (%s%s", shown, protocol, config->gzip ? ", gzip" : "");
    if (preset && out->braintrust_parent)
        buf_printf(&where, ", Braintrust %s", out->braintrust_parent);
    buf_putc(&where, ')');
    free(shown);
    out->destination = buf_detach(&where);
    *usage_error = 0;
    return 0;
failed:
    otlp_settings_free(out);
    return -1;
}

/* See select.h. */
void otlp_settings_free(otlp_settings *settings) {
    free(settings->url);
    free_headers(settings->headers);
    free(settings->store_url);
    free(settings->braintrust_parent);
    free(settings->destination);
    memset(settings, 0, sizeof *settings);
}

/* Refuse an output path that is the same file (device and inode, so hard links, symbolic
 * links and other spellings count) as one of the run's inputs: the file exporter would
 * write into the user's data. An input is what the source layer opens for its path
 * (source_stat): stdin's file for "-" (`--results - < out.jsonl`), the file behind
 * /dev/fd/N. Paths that do not exist (yet) cannot be the same; an output that is no regular
 * file (a terminal, /dev/null, a pipe) holds no data to destroy. 0, or -1 with reason. */
static int check_output_is_no_input(const export_request *request, const char *output,
                                    char *reason) {
    struct stat out_info;
    if (stat(output, &out_info) != 0 || !S_ISREG(out_info.st_mode)) return 0;
    for (size_t i = 0; i < request->input_count; i++) {
        const export_input_file *input = &request->inputs[i];
        struct stat in_info;
        if (!input->path || source_stat(input->path, &in_info) != 0) continue;
        if (in_info.st_dev != out_info.st_dev || in_info.st_ino != out_info.st_ino) continue;
        return fail(reason, "the output file %s is %s %s (%s): spans written there would "
                            "destroy it; give --output another file",
                    output, input->role,
                    strcmp(input->path, "-") == 0 ? SOURCE_STDIN_NAME : input->path,
                    input->option);
    }
    return 0;
}

/* See select.h. */
exporter_t *export_select(const export_request *request, const span_resource *resource,
                          char **destination, int *usage_error, char *reason) {
    *destination = NULL;
    *usage_error = 0;
    const char *kind = request->exporter;
    if (!kind) {
        const char *traces_exporter = env("OTEL_TRACES_EXPORTER");
        char *url = traces_url(request);
        if (traces_exporter && strcmp(traces_exporter, "console") == 0) kind = "console";
        else kind = url || export_braintrust_preset(request) ? "otlp" : "file";
        free(url);
    }
    if (request->braintrust_parent && strcmp(kind, "otlp") != 0) {
        *usage_error = 1;
        fail(reason, "--braintrust-parent needs the otlp exporter, not %s", kind);
        return NULL;
    }
    exporter_t *exporter = NULL;
    if (strcmp(kind, "file") == 0) {
        const char *path = request->output_path ? request->output_path : DEFAULT_OUTPUT;
        if (check_output_is_no_input(request, path, reason) != 0) {
            *usage_error = 1;
            return NULL;
        }
        exporter = exporter_file_new(path, request->truncate_output, resource, reason);
        buf_t where = BUF_INIT;
        buf_printf(&where, "OTLP/JSON lines in %s", path);
        *destination = buf_detach(&where);
    } else if (strcmp(kind, "console") == 0) {
        exporter = exporter_console_new(stdout, resource);
        *destination = xstrdup("the console");
    } else if (strcmp(kind, "otlp") == 0) {
        otlp_settings settings;
        if (export_otlp_settings(request, &settings, usage_error, reason) != 0) return NULL;
        exporter = exporter_otlp_new(&settings.config, resource, reason);
        *destination = settings.destination;
        settings.destination = NULL;
        otlp_settings_free(&settings);
    } else {
        *usage_error = 1;
        fail(reason, "unknown exporter \"%s\" (use otlp, file or console)", kind);
    }
    if (!exporter) {
        free(*destination);
        *destination = NULL;
    }
    return exporter;
}
