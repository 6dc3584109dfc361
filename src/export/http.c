/* The HTTP client (libcurl easy interface) and the OTLP/HTTP transport built on it: each
 * request is POSTed to the traces URL; a 2xx answer means the spans were accepted, any
 * other answer or a transport error means the request failed. Retries, gzip and spooling
 * are later layers: they will wrap otlp_deliver, which already tells a transport error
 * from an HTTP status. */
#include "export/http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export/exporter_internal.h"
#include "util/alloc.h"
#include "util/reason.h"

/* Per-request timeout when the configuration gives none. */
enum { HTTP_DEFAULT_TIMEOUT_MS = 10000 };
/* Bytes of an error response body quoted in a failure reason. */
enum { HTTP_BODY_QUOTED = 200 };

struct http_client {
    CURL *curl;                          /* the easy handle, reused between requests */
    struct curl_slist *headers;          /* Content-Type, the configured lines, "Expect:" */
    char *url;                           /* the URL requests go to; owned */
    char *shown_url;                     /* url without credentials, for messages; owned */
    http_response *response;             /* where the current request's body goes */
    char curl_error[CURL_ERROR_SIZE];    /* libcurl's message about the last failure */
};

static pthread_once_t http_global_once = PTHREAD_ONCE_INIT;
static CURLcode http_global_status = CURLE_FAILED_INIT; /* curl_global_init's answer */

/* Initialize libcurl once per process (curl_global_init is not thread-safe by itself). */
static void http_global_init(void) { http_global_status = curl_global_init(CURL_GLOBAL_DEFAULT); }

/* A copy of url with a user:password@ part replaced by "***@". */
static char *hide_credentials(const char *url) {
    const char *scheme_end = strstr(url, "://");
    if (!scheme_end) return xstrdup(url);
    const char *host = scheme_end + 3;
    size_t authority_len = strcspn(host, "/?#");
    const char *at = memchr(host, '@', authority_len);
    if (!at) return xstrdup(url);
    const char *after = at + 1;
    size_t prefix_len = (size_t)(host - url);
    size_t total = prefix_len + 4 + strlen(after) + 1;
    char *shown = xmalloc(total);
    memcpy(shown, url, prefix_len);
    memcpy(shown + prefix_len, "***@", 4);
    strcpy(shown + prefix_len + 4, after);
    return shown;
}

/* libcurl's body callback: keep the first HTTP_RESPONSE_KEEP bytes, drop the rest. */
static size_t http_on_body(char *bytes, size_t size, size_t count, void *opaque) {
    http_client *client = opaque;
    size_t len = size * count;
    buf_t *body = &client->response->body;
    if (body->len < HTTP_RESPONSE_KEEP) {
        size_t room = HTTP_RESPONSE_KEEP - body->len;
        buf_append(body, bytes, len < room ? len : room);
    }
    return len;
}

/* Check that line looks like "Name: value" with no line break; describe it without its
 * value otherwise. */
static int check_header_line(const char *line, size_t index, char *reason) {
    const char *colon = strchr(line, ':');
    if (!colon || colon == line) /* without a colon the whole line may be a secret */
        return fail(reason, "OTLP header %zu is not \"Name: value\"", index + 1);
    size_t name_len = (size_t)(colon - line);
    if (name_len > 64) name_len = 64;
    if (strpbrk(line, "\r\n"))
        return fail(reason, "OTLP header %zu (%.*s) contains a line break", index + 1,
                    (int)name_len, line);
    return 0;
}

/* See http.h. */
http_client *http_client_new(const char *url, const char *const *headers,
                             const char *content_type, long timeout_ms, char *reason) {
    pthread_once(&http_global_once, http_global_init);
    if (http_global_status != CURLE_OK) {
        fail(reason, "libcurl initialization failed: %s", curl_easy_strerror(http_global_status));
        return NULL;
    }
    for (size_t i = 0; headers && headers[i]; i++)
        if (check_header_line(headers[i], i, reason) != 0) return NULL;

    http_client *client = xcalloc(1, sizeof *client);
    client->url = xstrdup(url);
    client->shown_url = hide_credentials(url);
    client->curl = curl_easy_init();
    if (!client->curl) {
        fail(reason, "libcurl could not create a handle");
        http_client_free(client);
        return NULL;
    }

    char content_type_line[128];
    snprintf(content_type_line, sizeof content_type_line, "Content-Type: %s", content_type);
    /* "Expect:" turns off libcurl's 100-continue wait before large bodies. */
    const char *fixed_lines[] = {content_type_line, "Expect:"};
    for (size_t i = 0; i < 2; i++) {
        struct curl_slist *grown = curl_slist_append(client->headers, fixed_lines[i]);
        if (!grown) goto out_of_memory;
        client->headers = grown;
    }
    for (size_t i = 0; headers && headers[i]; i++) {
        struct curl_slist *grown = curl_slist_append(client->headers, headers[i]);
        if (!grown) goto out_of_memory;
        client->headers = grown;
    }

    CURL *curl = client->curl;
    CURLcode rc = CURLE_OK;
    if (rc == CURLE_OK) rc = curl_easy_setopt(curl, CURLOPT_URL, client->url);
    if (rc == CURLE_OK) rc = curl_easy_setopt(curl, CURLOPT_HTTPHEADER, client->headers);
    if (rc == CURLE_OK) rc = curl_easy_setopt(curl, CURLOPT_POST, 1L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                              timeout_ms > 0 ? timeout_ms : (long)HTTP_DEFAULT_TIMEOUT_MS);
    if (rc == CURLE_OK) rc = curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(curl, CURLOPT_USERAGENT, "batchtrace/" BATCHTRACE_VERSION);
    if (rc == CURLE_OK) rc = curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, http_on_body);
    if (rc == CURLE_OK) rc = curl_easy_setopt(curl, CURLOPT_WRITEDATA, client);
    if (rc == CURLE_OK) rc = curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, client->curl_error);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0 */
    if (rc == CURLE_OK) rc = curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    if (rc != CURLE_OK) {
        fail(reason, "%s: %s", client->shown_url, curl_easy_strerror(rc));
        http_client_free(client);
        return NULL;
    }
    return client;

out_of_memory:
    fail(reason, "out of memory building HTTP headers");
    http_client_free(client);
    return NULL;
}

/* See http.h. */
int http_client_post(http_client *client, const void *body, size_t len,
                     http_response *response, char *reason) {
    buf_clear(&response->body);
    response->status = 0;
    client->response = response;
    client->curl_error[0] = '\0';
    CURL *curl = client->curl;
    CURLcode rc = curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    if (rc == CURLE_OK) rc = curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    if (rc == CURLE_OK) rc = curl_easy_perform(curl);
    client->response = NULL;
    if (rc != CURLE_OK)
        return fail(reason, "POST %s: %s", client->shown_url,
                    client->curl_error[0] ? client->curl_error : curl_easy_strerror(rc));
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response->status);
    return 0;
}

const char *http_client_url(const http_client *client) { return client->shown_url; }

/* See http.h. */
void http_client_free(http_client *client) {
    if (!client) return;
    if (client->curl) curl_easy_cleanup(client->curl);
    curl_slist_free_all(client->headers);
    free(client->url);
    free(client->shown_url);
    free(client);
}

/* The OTLP/HTTP transport's data. */
typedef struct otlp_state {
    http_client *client;     /* the destination, owned */
    http_response response;  /* the last answer, reused */
} otlp_state;

/* Append up to HTTP_BODY_QUOTED bytes of body to a reason, control bytes shown as '.'. */
static void quote_body(const buf_t *body, char *out, size_t out_size) {
    size_t n = body->len < HTTP_BODY_QUOTED ? body->len : HTTP_BODY_QUOTED;
    if (n > out_size - 1) n = out_size - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)body->data[i];
        out[i] = (c < 0x20 || c == 0x7F) ? '.' : (char)c;
    }
    out[n] = '\0';
}

/* POST one request. 2xx: accepted (an ExportTraceServiceResponse's partial_success is
 * not read yet). Anything else: -1 with the status and the start of the body. */
static int otlp_deliver(void *opaque, bt_str request, size_t span_count, char *reason) {
    otlp_state *state = opaque;
    if (http_client_post(state->client, request.ptr, request.len, &state->response, reason) != 0)
        return -1;
    long status = state->response.status;
    if (status >= 200 && status < 300) return 0;
    char quoted[HTTP_BODY_QUOTED + 1];
    quote_body(&state->response.body, quoted, sizeof quoted);
    if (quoted[0])
        return fail(reason, "POST %s: HTTP %ld: %s", http_client_url(state->client), status,
                    quoted);
    return fail(reason, "POST %s: HTTP %ld", http_client_url(state->client), status);
}

/* Release the transport. */
static void otlp_free(void *opaque) {
    otlp_state *state = opaque;
    http_client_free(state->client);
    buf_free(&state->response.body);
    free(state);
}

static const exporter_ops otlp_ops = {
    .deliver = otlp_deliver,
    .write_span = NULL,
    .close = NULL,
    .free = otlp_free,
};

/* See exporter.h: the HTTP client is set up now (header lines checked), nothing is sent
 * until the first request fills. */
exporter_t *exporter_otlp_new(const otlp_config *config, const span_resource *resource,
                              char *reason) {
    if (!config->traces_url || !config->traces_url[0]) {
        fail(reason, "no OTLP traces URL");
        return NULL;
    }
    bool json = config->protocol == OTLP_HTTP_JSON;
    http_client *client = http_client_new(config->traces_url, config->headers,
                                          json ? "application/json" : "application/x-protobuf",
                                          config->timeout_ms, reason);
    if (!client) return NULL;
    otlp_state *state = xcalloc(1, sizeof *state);
    state->client = client;
    return exporter_create(&otlp_ops, state,
                           json ? EXPORT_ENCODING_JSON : EXPORT_ENCODING_PROTOBUF, resource);
}
