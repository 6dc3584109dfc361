#include "export/select.h"

#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "util/buf.h"

#define DEFAULT_OUTPUT "./batchtrace-spans.jsonl"

/* The variable's value when set and non-empty, else NULL. */
static const char *env(const char *name) {
    const char *value = getenv(name);
    return value && *value ? value : NULL;
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

/* Parse OTEL_EXPORTER_OTLP_HEADERS syntax ("k1=v1,k2=v2", percent-encoded) into a
 * NULL-terminated array of "k: v" lines (malloc'd). Pairs without '=' are skipped. */
static char **parse_headers(const char *spec) {
    size_t cap = 4, count = 0;
    char **headers = xcalloc(cap + 1, sizeof *headers);
    while (spec && *spec) {
        const char *end = strchr(spec, ',');
        size_t len = end ? (size_t)(end - spec) : strlen(spec);
        const char *eq = memchr(spec, '=', len);
        if (eq && eq != spec) {
            buf_t line = BUF_INIT;
            append_decoded(&line, spec, (size_t)(eq - spec));
            buf_puts(&line, ": ");
            append_decoded(&line, eq + 1, len - (size_t)(eq - spec) - 1);
            if (count == cap) {
                cap *= 2;
                headers = xreallocarray(headers, cap + 1, sizeof *headers);
            }
            headers[count++] = buf_detach(&line);
            headers[count] = NULL;
        }
        spec = end ? end + 1 : NULL;
    }
    return headers;
}

/* Free a header array from parse_headers. */
static void free_headers(char **headers) {
    for (size_t i = 0; headers && headers[i]; i++) free(headers[i]);
    free(headers);
}

/* The traces URL: --endpoint or OTEL_EXPORTER_OTLP_ENDPOINT with "/v1/traces" appended, or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is. NULL when none is configured. */
static char *traces_url(const export_request *request) {
    const char *base = request->endpoint;
    if (!base) {
        const char *signal = env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
        if (signal) return xstrdup(signal);
        base = env("OTEL_EXPORTER_OTLP_ENDPOINT");
    }
    if (!base) return NULL;
    buf_t url = BUF_INIT;
    buf_puts(&url, base);
    while (url.len && url.data[url.len - 1] == '/') url.data[--url.len] = '\0';
    buf_puts(&url, "/v1/traces");
    return buf_detach(&url);
}

exporter_t *export_select(const export_request *request, const span_resource *resource,
                          char **destination, int *usage_error, char *reason) {
    *destination = NULL;
    *usage_error = 0;
    char *url = traces_url(request);
    const char *kind = request->exporter;
    if (!kind) {
        const char *traces_exporter = env("OTEL_TRACES_EXPORTER");
        if (traces_exporter && strcmp(traces_exporter, "console") == 0) kind = "console";
        else kind = url ? "otlp" : "file";
    }
    exporter_t *exporter = NULL;
    buf_t where = BUF_INIT;
    if (strcmp(kind, "file") == 0) {
        const char *path = request->output_path ? request->output_path : DEFAULT_OUTPUT;
        exporter = exporter_file_new(path, resource, reason);
        buf_printf(&where, "OTLP/JSON lines in %s", path);
    } else if (strcmp(kind, "console") == 0) {
        exporter = exporter_console_new(stdout, resource);
        buf_puts(&where, "the console");
    } else if (strcmp(kind, "otlp") == 0) {
        if (!url) {
            *usage_error = 1;
            fail(reason, "the otlp exporter needs an endpoint: --endpoint URL or "
                         "OTEL_EXPORTER_OTLP_ENDPOINT");
            goto done;
        }
        const char *protocol = request->protocol;
        if (!protocol) protocol = env("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL");
        if (!protocol) protocol = env("OTEL_EXPORTER_OTLP_PROTOCOL");
        if (!protocol) protocol = "http/protobuf";
        otlp_config config = {url, OTLP_HTTP_PROTOBUF, NULL, 10000};
        if (strcmp(protocol, "http/json") == 0) {
            config.protocol = OTLP_HTTP_JSON;
        } else if (strcmp(protocol, "http/protobuf") != 0) {
            *usage_error = 1;
            fail(reason, "unsupported OTLP protocol \"%s\" (use http/protobuf or http/json)",
                 protocol);
            goto done;
        }
        const char *timeout = env("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT");
        if (!timeout) timeout = env("OTEL_EXPORTER_OTLP_TIMEOUT");
        if (timeout) {
            char *end;
            long ms = strtol(timeout, &end, 10);
            if (*end == '\0' && ms > 0) config.timeout_ms = ms;
        }
        const char *header_spec = env("OTEL_EXPORTER_OTLP_TRACES_HEADERS");
        if (!header_spec) header_spec = env("OTEL_EXPORTER_OTLP_HEADERS");
        char **headers = parse_headers(header_spec);
        config.headers = (const char *const *)headers;
        exporter = exporter_otlp_new(&config, resource, reason);
        free_headers(headers);
        buf_printf(&where, "%s (%s)", url, protocol);
    } else {
        *usage_error = 1;
        fail(reason, "unknown exporter \"%s\" (use otlp, file or console)", kind);
    }
done:
    free(url);
    if (exporter) *destination = buf_detach(&where);
    buf_free(&where);
    return exporter;
}
