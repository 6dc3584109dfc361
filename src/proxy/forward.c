/* The forwarding path of `batchtrace proxy`: libmicrohttpd accepts the client's requests,
 * one thread per connection, and libcurl sends each to the upstream from that same thread.
 * The request body is spooled to an anonymous temporary file as it arrives, then sent; the
 * answer's status and headers are passed on as the upstream sent them (hop-by-hop headers
 * aside), and its body streams through a bounded buffer: libcurl is paused while the
 * client has not taken what came, so a slow client slows the upstream read and memory stays
 * flat. A tapped exchange's bytes are copied as they pass (tap.h) and handed to the tracer
 * once the exchange ended; nothing here parses them. No header value is ever logged. */
#define _GNU_SOURCE /* memmem */
#include "proxy/proxy.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "proxy/log.h"
#include "proxy/tap.h"
#include "proxy/tee.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/reason.h"

/* The answer's bytes held between libcurl and the client at most (one exchange). */
#define RING_BYTES (1024u * 1024)
/* The largest piece libcurl hands on_body, and libmicrohttpd asks of read_response: large
 * pieces mean fewer calls, pauses and wake-ups per byte forwarded (issue 16's throughput). */
#define PIECE_BYTES (512u * 1024)
/* The largest Anthropic batch object or list rewritten (its results_url). */
#define REWRITE_MAX (16u << 20)
/* How long SIGTERM waits for the requests under way. */
#define DRAIN_SECONDS 60

/* The listener's state. */
typedef struct proxy {
    char *openai_base;            /* upstream base URLs, no trailing '/' (owned) */
    char *anthropic_base;
    tracer *tracer;
    pthread_mutex_t lock;         /* guards in_flight and exchanges */
    pthread_cond_t idle;          /* signalled when in_flight drops to 0 */
    unsigned in_flight;           /* requests between their first call and their end */
    struct exchange *exchanges;   /* every live exchange, to free at the end */
} proxy;

/* One request and its answer. */
typedef struct exchange {
    proxy *px;
    struct exchange *next, *prev; /* in px->exchanges */
    char *uri;                    /* as the client sent it, query included (owned) */
    char *path;                   /* without the query (owned) */
    bool begun;                   /* the access handler saw the headers */
    bool counted;                 /* counted in px->in_flight */
    tap_kind tap;
    const char *provider;         /* "openai" | "anthropic": whose upstream */
    source_t request_body;        /* the spooled body (fd -1 when there is none) */
    uint64_t request_bytes;
    uint64_t upload_offset;       /* what libcurl read of it */
    CURL *easy;
    CURLM *multi;
    struct curl_slist *request_headers;
    char error[CURL_ERROR_SIZE];
    long status;                  /* the upstream's final status */
    buf_t response_headers;       /* "Name\0Value\0" pairs of the final header block */
    int64_t content_length;       /* the upstream's Content-Length, or -1 */
    bool headers_done;
    bool rewrite;                 /* an Anthropic batch object: read whole, results_url
                                     pointed at the proxy */
    buf_t whole;                  /* rewrite: the body */
    char *ring;                   /* bytes received, not yet given to the client */
    size_t ring_cap, ring_start, ring_len;
    char *out;                    /* while read_response waits with the ring empty: its
                                     buffer, filled straight from libcurl (one copy less) */
    size_t out_max, out_len;
    bool paused;                  /* libcurl waits for room in the ring */
    bool upstream_done;
    CURLcode result;              /* the transfer's outcome, once upstream_done */
    uint64_t bytes_to_client;
    tap_exchange *tapped;         /* the copy for the tracer, or NULL */
    tee_writer *tee_writer;       /* writes a results download's copy off this thread */
    bool tee_failed;              /* the copy could not be kept whole */
    char tee_reason[REASON_MAX];
    char host[256];               /* the client's Host header, for the rewrite */
} exchange;

/* Hop-by-hop headers (RFC 9110 7.6.1) and those libcurl or libmicrohttpd write themselves. */
static bool hop_by_hop(const char *name, size_t len) {
    static const char *const names[] = {"connection", "keep-alive", "proxy-connection",
                                        "transfer-encoding", "te", "upgrade", "trailer",
                                        "content-length", "host", "expect"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == len && strncasecmp(names[i], name, len) == 0) return true;
    return false;
}

/* Log a line about an exchange. */
static void log_exchange(const exchange *ex, proxy_level level, const char *event,
                         const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void log_exchange(const exchange *ex, proxy_level level, const char *event,
                         const char *fmt, ...) {
    char text[REASON_MAX * 3];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    proxy_event e = {level, event, ex->provider, NULL, ex->path};
    proxy_log(&e, "%s", text);
}

/* Free an exchange and take it off the list (the caller holds no lock). */
static void exchange_free(exchange *ex) {
    if (!ex) return;
    proxy *px = ex->px;
    pthread_mutex_lock(&px->lock);
    if (ex->prev) ex->prev->next = ex->next;
    else if (px->exchanges == ex) px->exchanges = ex->next;
    if (ex->next) ex->next->prev = ex->prev;
    if (ex->counted && --px->in_flight == 0) pthread_cond_broadcast(&px->idle);
    pthread_mutex_unlock(&px->lock);
    char ignored[REASON_MAX];
    tee_writer_finish(ex->tee_writer, ignored);
    if (ex->multi && ex->easy) curl_multi_remove_handle(ex->multi, ex->easy);
    if (ex->easy) curl_easy_cleanup(ex->easy);
    if (ex->multi) curl_multi_cleanup(ex->multi);
    curl_slist_free_all(ex->request_headers);
    source_close(&ex->request_body);
    buf_free(&ex->response_headers);
    buf_free(&ex->whole);
    free(ex->ring);
    tap_exchange_free(ex->tapped);
    free(ex->uri);
    free(ex->path);
    free(ex);
}

/* libmicrohttpd's URI log callback: the first sight of a request, its URI as sent (the
 * access handler gets the path unescaped and the query apart). The exchange it makes is
 * the request's context from then on. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *connection) {
    proxy *px = cls;
    exchange *ex = xcalloc(1, sizeof *ex);
    ex->px = px;
    ex->uri = xstrdup(uri);
    const char *query = strchr(uri, '?');
    ex->path = query ? xstrndup(uri, (size_t)(query - uri)) : xstrdup(uri);
    ex->request_body.fd = -1;
    ex->content_length = -1;
    pthread_mutex_lock(&px->lock);
    ex->next = px->exchanges;
    if (ex->next) ex->next->prev = ex;
    px->exchanges = ex;
    pthread_mutex_unlock(&px->lock);
    return ex;
}

/* What collect_headers builds: the curl header list and what the proxy notes. */
typedef struct header_walk {
    exchange *ex;
    bool has_accept, has_content_type;
} header_walk;

/* libmicrohttpd header iterator: each request header the upstream gets (hop-by-hop ones
 * and, on a tapped call, Accept-Encoding left out), in order. */
static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *name,
                                      const char *value) {
    header_walk *walk = cls;
    exchange *ex = walk->ex;
    size_t len = strlen(name);
    if (strcasecmp(name, "host") == 0) snprintf(ex->host, sizeof ex->host, "%s", value);
    if (hop_by_hop(name, len)) return MHD_YES;
    /* The tap reads what the upstream sent: ask for it unencoded. */
    if (ex->tap != TAP_NONE && strcasecmp(name, "accept-encoding") == 0) return MHD_YES;
    if (strcasecmp(name, "accept") == 0) walk->has_accept = true;
    if (strcasecmp(name, "content-type") == 0) {
        walk->has_content_type = true;
        if (ex->tapped && !ex->tapped->content_type) ex->tapped->content_type = xstrdup(value);
    }
    if (strcasecmp(name, "traceparent") == 0 && ex->tapped && strlen(value) == 55)
        snprintf(ex->tapped->traceparent, sizeof ex->tapped->traceparent, "%s", value);
    buf_t line = BUF_INIT;
    if (*value) buf_printf(&line, "%s: %s", name, value);
    else buf_printf(&line, "%s;", name); /* libcurl's way to send an empty header */
    ex->request_headers = curl_slist_append(ex->request_headers, buf_cstr(&line));
    memset(line.data, 0, line.len); /* header values may be keys */
    buf_free(&line);
    return MHD_YES;
}

/* libcurl's read callback: the spooled request body. */
static size_t read_request(char *buffer, size_t size, size_t count, void *userdata) {
    exchange *ex = userdata;
    char reason[REASON_MAX];
    ssize_t got = source_read_at(&ex->request_body, buffer, size * count, ex->upload_offset,
                                 reason);
    if (got < 0) return CURL_READFUNC_ABORT;
    ex->upload_offset += (uint64_t)got;
    return (size_t)got;
}

/* libcurl's header callback: the status line and header lines of each block; a 1xx
 * block is dropped, the final one kept (hop-by-hop headers aside). */
static size_t on_header(char *data, size_t size, size_t count, void *userdata) {
    exchange *ex = userdata;
    size_t len = size * count;
    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        const char *space = memchr(data, ' ', len);
        ex->status = space ? strtol(space + 1, NULL, 10) : 0;
        buf_clear(&ex->response_headers);
        ex->content_length = -1;
        return len;
    }
    while (len && (data[len - 1] == '\n' || data[len - 1] == '\r')) len--;
    if (!len) {
        if (ex->status >= 200) ex->headers_done = true;
        return size * count;
    }
    const char *colon = memchr(data, ':', len);
    if (!colon) return size * count;
    size_t name_len = (size_t)(colon - data);
    const char *value = colon + 1;
    while (value < data + len && (*value == ' ' || *value == '\t')) value++;
    size_t value_len = (size_t)(data + len - value);
    if (name_len == 14 && strncasecmp(data, "content-length", 14) == 0) {
        char digits[32];
        snprintf(digits, sizeof digits, "%.*s", (int)(value_len < 31 ? value_len : 31), value);
        ex->content_length = strtoll(digits, NULL, 10);
    }
    if (hop_by_hop(data, name_len)) return size * count;
    buf_append(&ex->response_headers, data, name_len);
    buf_putc(&ex->response_headers, '\0');
    buf_append(&ex->response_headers, value, value_len);
    buf_putc(&ex->response_headers, '\0');
    return size * count;
}

/* Copy bytes of a tapped answer for the tracer: into its spool file or memory buffer. A
 * copy that cannot be kept whole is dropped (the exchange is still forwarded). */
static void tee(exchange *ex, const char *data, size_t len) {
    if (!ex->tapped || ex->tee_failed || ex->status < 200 || ex->status > 299) return;
    if (tap_tees_to_file(ex->tap)) {
        if (!tee_writer_put(ex->tee_writer, data, len)) ex->tee_failed = true;
        return;
    }
    if (ex->tapped->response_json.len + len > TAP_JSON_MAX) {
        ex->tee_failed = true;
        fail(ex->tee_reason, "the answer is over %u bytes", TAP_JSON_MAX);
        return;
    }
    buf_append(&ex->tapped->response_json, data, len);
}

/* libcurl's write callback: the answer's body straight into the client's buffer when
 * read_response waits for it, else into the ring (paused when it is full); or whole into
 * ex->whole for a rewrite. */
static size_t on_body(char *data, size_t size, size_t count, void *userdata) {
    exchange *ex = userdata;
    size_t len = size * count;
    if (ex->rewrite) {
        if (ex->whole.len + len > REWRITE_MAX) return 0;
        buf_append(&ex->whole, data, len);
        return len;
    }
    size_t taken = 0;
    if (ex->out && !ex->ring_len) { /* the client's buffer first, the rest to the ring */
        taken = len < ex->out_max - ex->out_len ? len : ex->out_max - ex->out_len;
        memcpy(ex->out + ex->out_len, data, taken);
        ex->out_len += taken;
        ex->bytes_to_client += taken;
    }
    size_t rest = len - taken;
    if (rest) {
        if (ex->ring_start + ex->ring_len + rest > ex->ring_cap && ex->ring_start) {
            memmove(ex->ring, ex->ring + ex->ring_start, ex->ring_len);
            ex->ring_start = 0;
        }
        if (ex->ring_len + rest > ex->ring_cap) {
            if (ex->ring_len) { /* (nothing was taken: the ring was not empty) */
                ex->paused = true;
                return CURL_WRITEFUNC_PAUSE; /* libcurl hands the same bytes again later */
            }
            ex->ring = xreallocarray(ex->ring, rest, 1); /* one piece larger than the ring */
            ex->ring_cap = rest;
        }
        memcpy(ex->ring + ex->ring_start + ex->ring_len, data + taken, rest);
        ex->ring_len += rest;
    }
    tee(ex, data, len); /* once, now that the bytes are taken */
    return len;
}

/* Run the transfer a step: send and receive what can be; when nothing came and the
 * transfer is not paused, wait (up to a second) for the upstream's socket. */
static void drive(exchange *ex) {
    int running = 0;
    curl_multi_perform(ex->multi, &running);
    if (!running) {
        int left;
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(ex->multi, &left)))
            if (msg->msg == CURLMSG_DONE) ex->result = msg->data.result;
        ex->upstream_done = true;
        return;
    }
    if (ex->ring_len || ex->out_len || ex->paused) return; /* bytes for the client: no wait */
    curl_multi_poll(ex->multi, NULL, 0, 1000, NULL);
}

/* libmicrohttpd's content reader: the next bytes of the answer for the client. */
static ssize_t read_response(void *cls, uint64_t pos, char *buffer, size_t max) {
    exchange *ex = cls;
    for (;;) {
        if (ex->ring_len) {
            size_t n = ex->ring_len < max ? ex->ring_len : max;
            memcpy(buffer, ex->ring + ex->ring_start, n);
            ex->ring_start += n;
            ex->ring_len -= n;
            if (!ex->ring_len) ex->ring_start = 0;
            ex->bytes_to_client += n;
            return (ssize_t)n;
        }
        if (ex->upstream_done)
            return ex->result == CURLE_OK ? MHD_CONTENT_READER_END_OF_STREAM
                                          : MHD_CONTENT_READER_END_WITH_ERROR;
        ex->out = buffer;
        ex->out_max = max;
        ex->out_len = 0;
        if (ex->paused) {
            ex->paused = false;
            curl_easy_pause(ex->easy, CURLPAUSE_CONT);
        }
        if (!ex->out_len) drive(ex);
        size_t filled = ex->out_len;
        ex->out = NULL;
        ex->out_len = 0;
        if (filled) return (ssize_t)filled;
    }
}

/* The base URL of the upstream for a path: Anthropic's paths (/v1/messages...) go to the
 * anthropic upstream, the rest to the openai one. */
static const char *upstream_for(exchange *ex) {
    bool anthropic = strncmp(ex->path, "/v1/messages", 12) == 0 ||
                     strncmp(ex->path, "/v1/complete", 12) == 0;
    ex->provider = anthropic ? "anthropic" : "openai";
    return anthropic ? ex->px->anthropic_base : ex->px->openai_base;
}

/* Set up the upstream transfer of ex for method. 0, or -1 with reason. */
static int start_transfer(exchange *ex, struct MHD_Connection *connection, const char *method,
                          char *reason) {
    const char *base = upstream_for(ex);
    if (!base) return fail(reason, "no upstream for %s paths (--upstream %s=URL)", ex->provider,
                           ex->provider);
    header_walk walk = {ex, false, false};
    MHD_get_connection_values(connection, MHD_HEADER_KIND, collect_header, &walk);
    ex->request_headers = curl_slist_append(ex->request_headers, "Expect:");
    if (!walk.has_accept) ex->request_headers = curl_slist_append(ex->request_headers, "Accept:");
    bool has_body = ex->request_body.fd >= 0;
    if (!walk.has_content_type && (has_body || strcmp(method, "POST") == 0))
        ex->request_headers = curl_slist_append(ex->request_headers, "Content-Type:");
    buf_t url = BUF_INIT;
    buf_printf(&url, "%s%s", base, ex->uri);
    ex->easy = curl_easy_init();
    ex->multi = curl_multi_init();
    if (!ex->easy || !ex->multi) {
        buf_free(&url);
        return fail(reason, "libcurl could not start a transfer");
    }
    CURL *e = ex->easy;
    curl_easy_setopt(e, CURLOPT_URL, buf_cstr(&url));
    buf_free(&url);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, ex->request_headers);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, ex);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, ex);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, ex->error);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, (long)PIECE_BYTES);
    if (has_body || strcmp(method, "POST") == 0) {
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)ex->request_bytes);
        curl_easy_setopt(e, CURLOPT_READFUNCTION, read_request);
        curl_easy_setopt(e, CURLOPT_READDATA, ex);
        if (strcmp(method, "POST") != 0) curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    } else if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    }
    curl_multi_add_handle(ex->multi, e);
    return 0;
}

/* Answer the client with a small error of the proxy's own (the upstream could not be
 * reached): JSON in the providers' shape. */
static enum MHD_Result answer_error(struct MHD_Connection *connection, unsigned status,
                                    const char *message) {
    buf_t body = BUF_INIT;
    buf_printf(&body, "{\"error\":{\"type\":\"proxy_error\",\"message\":\"batchtrace proxy: ");
    for (const char *c = message; *c; c++) {
        if (*c == '"' || *c == '\\') buf_putc(&body, '\\');
        if ((unsigned char)*c >= 0x20) buf_putc(&body, *c);
    }
    buf_puts(&body, "\"}}");
    struct MHD_Response *response =
        MHD_create_response_from_buffer(body.len, body.data, MHD_RESPMEM_MUST_COPY);
    buf_free(&body);
    if (!response) return MHD_NO;
    MHD_add_response_header(response, "Content-Type", "application/json");
    enum MHD_Result queued = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return queued;
}

/* Add the upstream's headers (kept by on_header) to response. */
static void add_headers(exchange *ex, struct MHD_Response *response) {
    const char *p = ex->response_headers.data;
    const char *end = p + ex->response_headers.len;
    while (p && p < end) {
        const char *name = p;
        const char *value = name + strlen(name) + 1;
        MHD_add_response_header(response, name, value);
        p = value + strlen(value) + 1;
    }
}

/* An Anthropic batch object (or list of them) with every results_url under the upstream
 * pointed at the proxy (http://HOST, the client's Host header), so that the SDKs, which
 * follow results_url, download the results through the proxy. malloc'd, *len set. */
static char *rewrite_results_url(const exchange *ex, size_t *len) {
    buf_t out = BUF_INIT;
    const char *base = ex->px->anthropic_base;
    size_t base_len = strlen(base);
    const char *p = ex->whole.data ? ex->whole.data : "";
    const char *end = p + ex->whole.len;
    static const char key[] = "\"results_url\":";
    while (p < end) {
        const char *hit = memmem(p, (size_t)(end - p), key, sizeof key - 1);
        if (!hit) break;
        const char *value = hit + sizeof key - 1;
        while (value < end && (*value == ' ' || *value == '\n' || *value == '\r' || *value == '\t'))
            value++;
        buf_append(&out, p, (size_t)(value - p));
        p = value;
        if (ex->host[0] && value < end && *value == '"' && (size_t)(end - value - 1) >= base_len &&
            memcmp(value + 1, base, base_len) == 0) {
            buf_printf(&out, "\"http://%s", ex->host);
            p = value + 1 + base_len;
        }
    }
    buf_append(&out, p, (size_t)(end - p));
    *len = out.len;
    return buf_detach(&out);
}

/* The final call of the access handler: send the request upstream, wait for the answer's
 * headers, and queue the answer (streamed from the upstream as the client reads it). */
static enum MHD_Result forward(exchange *ex, struct MHD_Connection *connection,
                               const char *method) {
    char reason[REASON_MAX];
    if (start_transfer(ex, connection, method, reason) != 0) {
        log_exchange(ex, PROXY_ERROR, "forward", "%s %s: %s", method, ex->path, reason);
        return answer_error(connection, 502, reason);
    }
    while (!ex->headers_done && !ex->upstream_done) drive(ex);
    if (!ex->headers_done) {
        const char *why = ex->error[0] ? ex->error : curl_easy_strerror(ex->result);
        log_exchange(ex, PROXY_ERROR, "forward", "%s %s: the upstream did not answer: %s",
                     method, ex->path, why);
        tap_exchange_free(ex->tapped);
        ex->tapped = NULL;
        return answer_error(connection, 502, why);
    }
    struct MHD_Response *response;
    if (ex->rewrite && ex->status >= 200 && ex->status <= 299) {
        /* ex->ring is not used: the body is read whole (small JSON) before it is passed on. */
        while (!ex->upstream_done) drive(ex);
        if (ex->result != CURLE_OK) {
            log_exchange(ex, PROXY_ERROR, "forward", "%s %s: the upstream's answer broke off: %s",
                         method, ex->path, ex->error[0] ? ex->error : curl_easy_strerror(ex->result));
            tap_exchange_free(ex->tapped);
            ex->tapped = NULL;
            return MHD_NO;
        }
        tee(ex, ex->whole.data ? ex->whole.data : "", ex->whole.len);
        size_t len;
        char *body = rewrite_results_url(ex, &len);
        response = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
        if (!response) free(body);
        ex->bytes_to_client = len;
    } else {
        if (ex->rewrite) { /* an error answer: passed on as it comes */
            ex->rewrite = false;
            if (ex->whole.len) on_body(ex->whole.data, 1, ex->whole.len, ex);
        }
        /* The upstream's Content-Length (also for HEAD: libmicrohttpd sends no body then),
         * else chunked. */
        uint64_t size = ex->content_length >= 0 ? (uint64_t)ex->content_length : MHD_SIZE_UNKNOWN;
        if (ex->status == 204 || ex->status == 304) size = 0;
        response = MHD_create_response_from_callback(size, PIECE_BYTES, read_response, ex, NULL);
    }
    if (!response) return MHD_NO;
    add_headers(ex, response);
    enum MHD_Result queued = MHD_queue_response(connection, (unsigned)ex->status, response);
    MHD_destroy_response(response);
    return queued;
}

/* libmicrohttpd's access handler: called with the headers, then with pieces of the body,
 * then once more at its end. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
    proxy *px = cls;
    exchange *ex = *con_cls;
    if (!ex) return MHD_NO;
    char reason[REASON_MAX];
    if (!ex->begun) {
        ex->begun = true;
        pthread_mutex_lock(&px->lock);
        px->in_flight++;
        ex->counted = true;
        pthread_mutex_unlock(&px->lock);
        upstream_for(ex);
        ex->tap = tap_classify(method, ex->path);
        ex->rewrite = ex->tap == TAP_ANTHROPIC_BATCH || ex->tap == TAP_ANTHROPIC_CREATE ||
                      (strcmp(method, "GET") == 0 && strcmp(ex->path, "/v1/messages/batches") == 0);
        if (ex->tap != TAP_NONE) {
            ex->tapped = xcalloc(1, sizeof *ex->tapped);
            ex->tapped->kind = ex->tap;
            ex->tapped->path = xstrdup(ex->path);
            ex->tapped->request_body.fd = -1;
            ex->tapped->response_file.fd = -1;
            if (tap_tees_to_file(ex->tap) &&
                (source_spool_new(&ex->tapped->response_file, ex->path, reason) != 0 ||
                 !(ex->tee_writer = tee_writer_start(&ex->tapped->response_file, reason)))) {
                ex->tee_failed = true;
                snprintf(ex->tee_reason, sizeof ex->tee_reason, "%s", reason);
            }
        }
        ex->ring_cap = RING_BYTES;
        ex->ring = xmalloc(ex->ring_cap);
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (ex->request_body.fd < 0 && source_spool_new(&ex->request_body, ex->path, reason) != 0) {
            log_exchange(ex, PROXY_ERROR, "forward", "%s %s: the request body cannot be kept: %s",
                         method, ex->path, reason);
            return MHD_NO;
        }
        if (source_spool_write(&ex->request_body, upload_data, *upload_data_size, reason) != 0) {
            log_exchange(ex, PROXY_ERROR, "forward", "%s %s: the request body cannot be kept: %s",
                         method, ex->path, reason);
            return MHD_NO;
        }
        ex->request_bytes += *upload_data_size;
        *upload_data_size = 0;
        return MHD_YES;
    }
    return forward(ex, connection, method);
}

/* Hand a tapped exchange that ended well to the tracer, or say why it is not traced. */
static void hand_over(exchange *ex, enum MHD_RequestTerminationCode toe) {
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        const char *why = !ex->easy ? "the client's request was cut short (not forwarded)"
                          : ex->upstream_done && ex->result != CURLE_OK
                              ? "the upstream's answer broke off"
                              : "the client disconnected";
        log_exchange(ex, PROXY_WARNING, ex->tapped ? "untraced" : "aborted",
                     "%s: %s (%llu bytes passed on%s%s)%s", ex->path, why,
                     (unsigned long long)ex->bytes_to_client, ex->error[0] ? ": " : "",
                     ex->error, ex->tapped ? "; nothing traced from it" : "");
        return;
    }
    if (!ex->tapped) return;
    if (ex->result != CURLE_OK || !ex->upstream_done) {
        log_exchange(ex, PROXY_WARNING, "untraced",
                     "%s: the upstream's answer broke off after %llu bytes (%s); nothing traced "
                     "from it", ex->path, (unsigned long long)ex->bytes_to_client,
                     ex->error[0] ? ex->error : curl_easy_strerror(ex->result));
        return;
    }
    if (ex->status < 200 || ex->status > 299) {
        log_exchange(ex, PROXY_INFO, "untraced", "%s: the upstream answered %ld, passed on",
                     ex->path, ex->status);
        return;
    }
    if (ex->tee_failed) {
        log_exchange(ex, PROXY_WARNING, "untraced", "%s: the copy for tracing failed (%s); "
                     "forwarded anyway, nothing traced from it", ex->path, ex->tee_reason);
        return;
    }
    tap_exchange *tapped = ex->tapped;
    ex->tapped = NULL;
    if (tap_reads_request(ex->tap)) {
        tapped->request_body = ex->request_body;
        memset(&ex->request_body, 0, sizeof ex->request_body);
        ex->request_body.fd = -1;
    }
    tracer_submit(ex->px->tracer, tapped);
}

/* Let the upstream transfer of an answer the client has whole (libmicrohttpd stops reading
 * once Content-Length bytes went out) reach its end, so that its outcome is known. */
static void finish_transfer(exchange *ex) {
    while (ex->easy && !ex->upstream_done) {
        ex->ring_len = 0; /* nothing more is owed to the client */
        ex->ring_start = 0;
        if (ex->paused) {
            ex->paused = false;
            curl_easy_pause(ex->easy, CURLPAUSE_CONT);
        }
        drive(ex);
    }
}

/* libmicrohttpd's completion callback: the exchange ended (well, or not). */
static void on_completed(void *cls, struct MHD_Connection *connection, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    exchange *ex = *con_cls;
    if (!ex) return;
    *con_cls = NULL;
    if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK) finish_transfer(ex);
    char reason[REASON_MAX];
    if (tee_writer_finish(ex->tee_writer, reason) != 0 && !ex->tee_reason[0]) {
        ex->tee_failed = true;
        snprintf(ex->tee_reason, sizeof ex->tee_reason, "%s", reason);
    }
    ex->tee_writer = NULL;
    hand_over(ex, toe);
    exchange_free(ex);
}

/* A base URL without its trailing '/' (malloc'd), or NULL. */
static char *base_url(const char *url) {
    if (!url) return NULL;
    size_t len = strlen(url);
    while (len && url[len - 1] == '/') len--;
    return xstrndup(url, len);
}

/* "HOST:PORT" into addr. 0, or -1 with reason. */
static int parse_listen(const char *text, struct sockaddr_in *addr, char *reason) {
    const char *colon = strrchr(text, ':');
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    char host[64];
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || (size_t)(colon - text) >= sizeof host || !end || *end || end == colon + 1 ||
        port < 0 || port > 65535)
        return fail(reason, "--listen needs HOST:PORT (an IPv4 address), not \"%s\"", text);
    snprintf(host, sizeof host, "%.*s", (int)(colon - text), text);
    if (strcmp(host, "localhost") == 0) snprintf(host, sizeof host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &addr->sin_addr) != 1)
        return fail(reason, "--listen needs HOST:PORT (an IPv4 address), not \"%s\"", text);
    addr->sin_port = htons((uint16_t)port);
    return 0;
}

/* Wait, up to DRAIN_SECONDS, until no request is under way. */
static void drain(proxy *px) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += DRAIN_SECONDS;
    pthread_mutex_lock(&px->lock);
    while (px->in_flight &&
           pthread_cond_timedwait(&px->idle, &px->lock, &deadline) != ETIMEDOUT) {}
    unsigned left = px->in_flight;
    pthread_mutex_unlock(&px->lock);
    if (left) {
        proxy_event e = {PROXY_WARNING, "stopping", NULL, NULL, NULL};
        proxy_log(&e, "%u requests still under way after %d s: cut off", left, DRAIN_SECONDS);
    }
}

/* What the second-signal watcher needs. */
typedef struct signal_watch {
    sigset_t signals;             /* SIGTERM, SIGINT (blocked in every thread) */
    atomic_bool finished;         /* set before the watcher is woken for good */
} signal_watch;

/* While the tracer finishes its queue: a second SIGTERM or SIGINT cuts the export under way
 * short (batchtrace_interrupt: what is not delivered is spooled in the store). */
static void *watch_second_signal(void *arg) {
    signal_watch *watch = arg;
    int signal_number = 0;
    sigwait(&watch->signals, &signal_number);
    if (!atomic_load(&watch->finished)) {
        proxy_event e = {PROXY_WARNING, "stopping", NULL, NULL, NULL};
        proxy_log(&e, "a second signal: the export under way stops, what is not delivered is "
                      "spooled (batchtrace flush sends it)");
        batchtrace_interrupt();
    }
    return NULL;
}

/* See proxy.h. */
int proxy_run(const proxy_options *options, char *reason) {
    proxy px;
    memset(&px, 0, sizeof px);
    struct MHD_Daemon *daemon = NULL;
    int rc = BATCHTRACE_EXIT_FATAL;
    struct sockaddr_in addr;
    if (parse_listen(options->listen ? options->listen : "127.0.0.1:8787", &addr, reason) != 0)
        return BATCHTRACE_EXIT_USAGE;
    px.openai_base = base_url(options->openai_upstream ? options->openai_upstream
                                                       : options->upstream);
    px.anthropic_base = base_url(options->anthropic_upstream ? options->anthropic_upstream
                                                             : options->upstream);
    if (!px.openai_base && !px.anthropic_base) {
        fail(reason, "proxy needs --upstream URL (or --upstream openai=URL, anthropic=URL)");
        rc = BATCHTRACE_EXIT_USAGE;
        goto done;
    }
    pthread_mutex_init(&px.lock, NULL);
    pthread_cond_init(&px.idle, NULL);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    proxy_log_setup(options->json_logs, options->quiet);

    /* Every thread started from here blocks SIGTERM and SIGINT: this one waits for them. */
    sigset_t stop_signals, previous;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, &previous);
    signal(SIGPIPE, SIG_IGN);

    px.tracer = tracer_start(options->collect, reason);
    if (!px.tracer) goto restore;
    daemon = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                                  MHD_USE_POLL | MHD_USE_ITC | MHD_USE_SUPPRESS_DATE_NO_CLOCK,
                              0, NULL, NULL, on_request, &px,
                              MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                              MHD_OPTION_URI_LOG_CALLBACK, on_uri, &px,
                              MHD_OPTION_NOTIFY_COMPLETED, on_completed, &px,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)600,
                              MHD_OPTION_END);
    if (!daemon) {
        char host[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &addr.sin_addr, host, sizeof host);
        fail(reason, "cannot listen on %s:%u: %s", host, ntohs(addr.sin_port),
             errno ? strerror(errno) : "libmicrohttpd refused");
        goto restore;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    char host[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &addr.sin_addr, host, sizeof host);
    proxy_event listening = {PROXY_INFO, "listening", NULL, NULL, NULL};
    proxy_log(&listening, "listening on http://%s:%u (openai: %s, anthropic: %s)", host,
              info ? info->port : ntohs(addr.sin_port), px.openai_base ? px.openai_base : "none",
              px.anthropic_base ? px.anthropic_base : "none");

    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    proxy_event stopping = {PROXY_INFO, "stopping", NULL, NULL, NULL};
    proxy_log(&stopping, "%s: no new connections; letting the requests under way end",
              signal_number == SIGINT ? "SIGINT" : "SIGTERM");
    MHD_socket listen_socket = MHD_quiesce_daemon(daemon);
    drain(&px);
    MHD_stop_daemon(daemon);
    daemon = NULL;
    if (listen_socket != MHD_INVALID_SOCKET) close(listen_socket);
    proxy_log(&stopping, "finishing the tracing work queued (what cannot be delivered is "
              "spooled in the store)");
    signal_watch watch;
    watch.signals = stop_signals;
    atomic_init(&watch.finished, false);
    pthread_t watcher;
    bool watching = pthread_create(&watcher, NULL, watch_second_signal, &watch) == 0;
    tracer_finish(px.tracer);
    px.tracer = NULL;
    if (watching) {
        atomic_store(&watch.finished, true);
        pthread_kill(watcher, SIGTERM);
        pthread_join(watcher, NULL);
    }
    rc = BATCHTRACE_EXIT_OK;
restore:
    if (daemon) MHD_stop_daemon(daemon);
    tracer_finish(px.tracer);
    while (px.exchanges) exchange_free(px.exchanges);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    pthread_cond_destroy(&px.idle);
    pthread_mutex_destroy(&px.lock);
done:
    free(px.openai_base);
    free(px.anthropic_base);
    return rc;
}
