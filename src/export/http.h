/* A small HTTP client over libcurl's easy interface, for the OTLP/HTTP transport: one
 * handle per destination (so connections are reused), one blocking POST at a time. It
 * knows nothing of OTLP. Header values are never printed in any message. */
#ifndef BT_EXPORT_HTTP_H
#define BT_EXPORT_HTTP_H

#include <stddef.h>

#include "util/buf.h"

/* Bytes of a response body kept (the rest is read and dropped). */
#define HTTP_RESPONSE_KEEP (64 * 1024)

typedef struct http_client http_client;

/* What the server answered. */
typedef struct http_response {
    long status;  /* the HTTP status code */
    buf_t body;   /* the first HTTP_RESPONSE_KEEP bytes of the body; owned by the caller */
} http_response;

/* A client POSTing to url with Content-Type content_type, the extra header lines headers
 * ("Name: value", NULL-terminated, may be NULL) and a timeout per request (0 or less:
 * 10 seconds). Strings are copied. NULL with reason when libcurl cannot start or a header
 * line is malformed (the message names the header, never its value). */
http_client *http_client_new(const char *url, const char *const *headers,
                             const char *content_type, long timeout_ms, char *reason);
/* POST body[0..len) and fill response (its body is cleared first). 0 when an HTTP answer
 * came back, whatever its status; -1 with reason ("POST URL: curl's message") when none
 * did (connection refused, timeout, ...). */
int http_client_post(http_client *client, const void *body, size_t len,
                     http_response *response, char *reason);
/* The URL for messages: the configured one with any user:password@ part hidden. */
const char *http_client_url(const http_client *client);
/* Release the client (NULL-safe). */
void http_client_free(http_client *client);

#endif
