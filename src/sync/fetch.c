#include "sync/fetch.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "export/http.h"
#include "export/retry.h"
#include "export/url.h"
#include "json/json.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/timeutil.h"

/* Bytes of an error answer's body kept for the message. */
#define ERROR_BODY_KEEP 4096
/* A download hands collect what it has once this much is waiting (whole lines). */
#define HAND_OUT_BYTES (256 * 1024)
/* A download pauses the transfer while this much waits to be handed out. */
#define PAUSE_BYTES (4 * 1024 * 1024)

/* What to do after an attempt: export/retry.h's policy, plus 500 and 529 (Anthropic's
 * "overloaded"), which the providers ask clients to retry. */
static retry_verdict classify(long status, CURLcode code) {
    if (status == 500 || status == 529) return RETRY_AGAIN;
    return retry_classify(status, (int)code);
}

/* Sleep for ms milliseconds. */
static void sleep_ms(int64_t ms) {
    if (ms <= 0) return;
    struct timespec wait = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&wait, &wait) != 0) {}
}

/* How long to wait before retry number attempt: the Retry-After the answer gave (capped),
 * else the backoff. */
static int64_t wait_before_retry(const sync_api *api, unsigned attempt, const char *retry_after) {
    static uint64_t random_state = 0x9e3779b97f4a7c15ULL;
    int64_t delay;
    if (retry_after[0] &&
        retry_after_parse(retry_after, time_now_ns() / 1000000000, &delay) == 0)
        return delay < api->max_wait_ms ? delay : api->max_wait_ms;
    random_state ^= (uint64_t)time_now_ns();
    if (!random_state) random_state = 1;
    return retry_backoff_ms(attempt, 500, 8000, retry_random(&random_state));
}

/* Append text to out with every occurrence of the API key replaced by "<redacted>". */
static void append_scrubbed(const sync_api *api, const char *text, size_t len, buf_t *out) {
    size_t key_len = api->key ? strlen(api->key) : 0;
    size_t i = 0;
    while (i < len) {
        if (key_len && len - i >= key_len && memcmp(text + i, api->key, key_len) == 0) {
            buf_puts(out, "<redacted>");
            i += key_len;
        } else {
            buf_putc(out, text[i++]);
        }
    }
}

/* The provider's message in an error answer ({"error": {"message": ...}}), else the body's
 * start, scrubbed of the key, appended to out as " (MESSAGE)"; nothing for an empty body. */
static void append_provider_message(const sync_api *api, const buf_t *body, buf_t *out) {
    if (!body->len) return;
    json_doc doc = JSON_DOC_INIT;
    arena_t arena = ARENA_INIT;
    char detail[REASON_MAX];
    bt_str message = STR_NULL;
    if (json_parse(&doc, body->data, body->len, detail) == 0) {
        int error = json_get(&doc, 0, "error");
        int text = json_type_of(&doc, error) == JSON_STRING ? error : json_get(&doc, error, "message");
        if (json_type_of(&doc, text) != JSON_STRING || json_string(&doc, text, &arena, &message) != 0)
            message = STR_NULL;
    }
    if (!message.len) message = (bt_str){body->data, body->len};
    if (message.len > 300) message.len = 300;
    buf_puts(out, " (");
    append_scrubbed(api, message.ptr, message.len, out);
    buf_puts(out, ")");
    json_doc_free(&doc);
    arena_free(&arena);
}

/* The reason an attempt failed: "GET URL: HTTP 401 (message)" or "GET URL: TRANSPORT
 * ERROR", the URL redacted and every text scrubbed of the key. */
static void describe_failure(const sync_api *api, const char *url, long status, CURLcode code,
                             const char *curl_error, const buf_t *body, char *reason) {
    buf_t text = BUF_INIT;
    char *shown = url_redact(url);
    buf_printf(&text, "GET %s: ", shown);
    if (status) {
        buf_printf(&text, "HTTP %ld", status);
        append_provider_message(api, body, &text);
    } else {
        const char *what = curl_error && curl_error[0] ? curl_error : curl_easy_strerror(code);
        buf_t scrubbed = BUF_INIT;
        append_scrubbed(api, what, strlen(what), &scrubbed);
        url_scrub(url, buf_cstr(&scrubbed), curl_easy_strerror(code), &text);
        buf_free(&scrubbed);
    }
    fail(reason, "%s", buf_cstr(&text));
    free(shown);
    buf_free(&text);
}

/* Tell the caller that an attempt failed and another follows. */
static void notice_retry(const sync_api *api, const char *why, int64_t wait_ms) {
    if (!api->on_notice) return;
    char text[REASON_MAX + 64];
    snprintf(text, sizeof text, "%s; trying again in %.1f s", why, (double)wait_ms / 1000.0);
    api->on_notice(api->notice_ctx, text);
}

/* Keep the Retry-After header of an answer (other headers are ignored). */
static size_t on_header(char *line, size_t size, size_t count, void *opaque) {
    char *retry_after = opaque;
    size_t len = size * count;
    static const char name[] = "retry-after:";
    if (len > sizeof name - 1 && strncasecmp(line, name, sizeof name - 1) == 0) {
        const char *value = line + sizeof name - 1;
        size_t value_len = len - (sizeof name - 1);
        while (value_len && (*value == ' ' || *value == '\t')) value++, value_len--;
        while (value_len && (value[value_len - 1] == '\r' || value[value_len - 1] == '\n'))
            value_len--;
        if (value_len > 63) value_len = 63;
        memcpy(retry_after, value, value_len);
        retry_after[value_len] = '\0';
    }
    return len;
}

/* A new easy handle for a GET of url with the API's headers (*headers owns the list). NULL
 * when libcurl cannot make one. */
static CURL *new_get(const sync_api *api, const char *url, struct curl_slist **headers,
                     char *retry_after, char *curl_error) {
    *headers = NULL;
    struct curl_slist *list = curl_slist_append(NULL, api->auth_header);
    if (list && api->version_header) {
        struct curl_slist *grown = curl_slist_append(list, api->version_header);
        if (!grown) {
            curl_slist_free_all(list);
            list = NULL;
        } else {
            list = grown;
        }
    }
    CURL *easy = list ? curl_easy_init() : NULL;
    if (!easy) {
        curl_slist_free_all(list);
        return NULL;
    }
    CURLcode rc = curl_easy_setopt(easy, CURLOPT_URL, url);
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, CURLOPT_HTTPHEADER, list);
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, CURLOPT_USERAGENT, "batchtrace/" BATCHTRACE_VERSION);
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, CURLOPT_HEADERDATA, retry_after);
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, curl_error);
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 30000L);
    if (rc == CURLE_OK) rc = http_web_protocols_only(easy);
    if (rc != CURLE_OK) {
        curl_easy_cleanup(easy);
        curl_slist_free_all(list);
        return NULL;
    }
    *headers = list;
    return easy;
}

/* ---- small answers ------------------------------------------------------------------ */

/* Where a small answer's body goes. */
typedef struct small_body {
    buf_t *body;
    size_t max_bytes;
    bool too_large;
} small_body;

/* Keep a small answer's bytes, up to its limit. */
static size_t on_small_body(char *data, size_t size, size_t count, void *opaque) {
    small_body *sink = opaque;
    size_t len = size * count;
    if (sink->body->len + len > sink->max_bytes) {
        sink->too_large = true;
        return 0;
    }
    buf_append(sink->body, data, len);
    return len;
}

/* See fetch.h. */
int sync_get(const sync_api *api, const char *url, size_t max_bytes, buf_t *body, long *status,
             char *reason) {
    if (http_libcurl_ready(reason) != 0) return -1;
    *status = 0;
    for (unsigned attempt = 1;; attempt++) {
        buf_clear(body);
        char retry_after[64] = "";
        char curl_error[CURL_ERROR_SIZE] = "";
        struct curl_slist *headers;
        CURL *easy = new_get(api, url, &headers, retry_after, curl_error);
        if (!easy) return fail(reason, "libcurl cannot make a request");
        small_body sink = {body, max_bytes, false};
        CURLcode code = curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_small_body);
        if (code == CURLE_OK) code = curl_easy_setopt(easy, CURLOPT_WRITEDATA, &sink);
        if (code == CURLE_OK) code = curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)api->timeout_ms);
        if (code == CURLE_OK) code = curl_easy_perform(easy);
        long http_status = 0;
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &http_status);
        curl_easy_cleanup(easy);
        curl_slist_free_all(headers);
        *status = http_status;
        if (sink.too_large) {
            char *shown = url_redact(url);
            fail(reason, "GET %s: the answer is larger than %zu bytes", shown, max_bytes);
            free(shown);
            return -1;
        }
        if (code != CURLE_OK) http_status = 0;
        retry_verdict verdict = classify(http_status, code);
        if (verdict == RETRY_ACCEPTED) return 0;
        describe_failure(api, url, http_status, code, curl_error, body, reason);
        if (verdict == RETRY_NEVER || attempt >= api->max_attempts) return -1;
        int64_t wait_ms = wait_before_retry(api, attempt, retry_after);
        notice_retry(api, reason, wait_ms);
        sleep_ms(wait_ms);
    }
}

/* ---- downloads ---------------------------------------------------------------------- */

struct sync_download {
    const sync_api *api;           /* borrowed */
    char *url;                     /* owned */
    CURLM *multi;                  /* the transfer's driver (NULL before the first read) */
    CURL *easy;                    /* this attempt's transfer, or NULL between attempts */
    struct curl_slist *headers;    /* its header lines */
    buf_t pending;                 /* bytes received, not handed out yet */
    bool pending_has_newline;      /* pending holds a whole line */
    buf_t piece;                   /* the piece handed out last (borrowed by collect) */
    uint64_t handed;               /* bytes of the file handed out so far */
    uint64_t seen;                 /* bytes of the file this attempt received (the first
                                      `handed` of them were handed out before: skipped) */
    buf_t error_body;              /* a non-2xx answer's body (its first bytes) */
    char retry_after[64];          /* this attempt's Retry-After */
    char curl_error[CURL_ERROR_SIZE];
    unsigned attempt;              /* attempts made */
    bool paused;                   /* the transfer waits for pending to be handed out */
    bool finished;                 /* the whole file arrived */
    bool failed;                   /* it failed for good: error says why */
    char error[REASON_MAX];
};

/* See fetch.h. */
sync_download *sync_download_new(const sync_api *api, const char *url) {
    sync_download *d = xcalloc(1, sizeof *d);
    d->api = api;
    d->url = xstrdup(url);
    return d;
}

/* Whether the current attempt's answer is a success (its body is the file). */
static bool answer_ok(sync_download *d) {
    long status = 0;
    curl_easy_getinfo(d->easy, CURLINFO_RESPONSE_CODE, &status);
    return status >= 200 && status < 300;
}

/* A download's bytes: the file's when the answer is a success (those handed out by an
 * earlier attempt skipped), else the error body's first bytes. Pauses the transfer while
 * much is waiting. */
static size_t on_download_body(char *data, size_t size, size_t count, void *opaque) {
    sync_download *d = opaque;
    size_t len = size * count;
    if (!answer_ok(d)) {
        size_t room = ERROR_BODY_KEEP > d->error_body.len ? ERROR_BODY_KEEP - d->error_body.len : 0;
        buf_append(&d->error_body, data, len < room ? len : room);
        return len;
    }
    if (d->pending_has_newline && d->pending.len >= PAUSE_BYTES) {
        d->paused = true;
        return CURL_WRITEFUNC_PAUSE;
    }
    size_t skip = 0;
    if (d->seen < d->handed) {
        uint64_t behind = d->handed - d->seen;
        skip = behind < len ? (size_t)behind : len;
    }
    d->seen += len;
    if (skip == len) return len;
    buf_append(&d->pending, data + skip, len - skip);
    if (memchr(data + skip, '\n', len - skip)) d->pending_has_newline = true;
    return len;
}

/* End the current attempt's transfer. */
static void end_attempt(sync_download *d) {
    if (!d->easy) return;
    curl_multi_remove_handle(d->multi, d->easy);
    curl_easy_cleanup(d->easy);
    curl_slist_free_all(d->headers);
    d->easy = NULL;
    d->headers = NULL;
    d->paused = false;
}

/* Start an attempt: the bytes received but not handed out are dropped (the new answer
 * brings them again). false with d->error when libcurl fails. */
static bool start_attempt(sync_download *d) {
    d->attempt++;
    buf_clear(&d->pending);
    buf_clear(&d->error_body);
    d->pending_has_newline = false;
    d->seen = 0;
    d->retry_after[0] = '\0';
    d->curl_error[0] = '\0';
    d->easy = new_get(d->api, d->url, &d->headers, d->retry_after, d->curl_error);
    CURLcode code = d->easy ? curl_easy_setopt(d->easy, CURLOPT_WRITEFUNCTION, on_download_body)
                            : CURLE_OUT_OF_MEMORY;
    if (code == CURLE_OK) code = curl_easy_setopt(d->easy, CURLOPT_WRITEDATA, d);
    /* No overall timeout (a large file takes its time); a stalled one is cut off. */
    if (code == CURLE_OK) code = curl_easy_setopt(d->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
    if (code == CURLE_OK) code = curl_easy_setopt(d->easy, CURLOPT_LOW_SPEED_TIME, 120L);
    if (code == CURLE_OK && curl_multi_add_handle(d->multi, d->easy) != CURLM_OK)
        code = CURLE_OUT_OF_MEMORY;
    if (code != CURLE_OK) {
        if (d->easy) curl_easy_cleanup(d->easy);
        curl_slist_free_all(d->headers);
        d->easy = NULL;
        d->headers = NULL;
        fail(d->error, "libcurl cannot make a request");
        d->failed = true;
        return false;
    }
    return true;
}

/* The attempt's transfer ended with code: the file is whole, or try again after a wait, or
 * fail for good. */
static void attempt_done(sync_download *d, CURLcode code) {
    long status = 0;
    curl_easy_getinfo(d->easy, CURLINFO_RESPONSE_CODE, &status);
    if (code != CURLE_OK) status = 0;
    retry_verdict verdict = classify(status, code);
    if (verdict == RETRY_ACCEPTED) {
        d->finished = true;
        end_attempt(d);
        return;
    }
    describe_failure(d->api, d->url, status, code, d->curl_error, &d->error_body, d->error);
    end_attempt(d);
    if (verdict == RETRY_NEVER || d->attempt >= d->api->max_attempts) {
        d->failed = true;
        return;
    }
    int64_t wait_ms = wait_before_retry(d->api, d->attempt, d->retry_after);
    notice_retry(d->api, d->error, wait_ms);
    sleep_ms(wait_ms);
    start_attempt(d);
}

/* Hand out pending's whole lines (all of it once the file is whole) as the next piece. */
static void hand_out(sync_download *d, const char **bytes, size_t *len) {
    buf_t swap = d->piece;
    d->piece = d->pending;
    d->pending = swap;
    buf_clear(&d->pending);
    if (!d->finished) {
        size_t end = d->piece.len;
        while (end && d->piece.data[end - 1] != '\n') end--;
        buf_append(&d->pending, d->piece.data + end, d->piece.len - end);
        d->piece.len = end;
    }
    d->pending_has_newline = false;
    d->handed += d->piece.len;
    *bytes = d->piece.data;
    *len = d->piece.len;
}

/* See fetch.h. */
int sync_download_read(void *download, const char **bytes, size_t *len) {
    sync_download *d = download;
    if (d->failed) return -1;
    if (!d->multi) {
        if (http_libcurl_ready(d->error) != 0 || !(d->multi = curl_multi_init())) {
            if (!d->error[0]) fail(d->error, "libcurl cannot start");
            d->failed = true;
            return -1;
        }
        if (!start_attempt(d)) return -1;
    }
    for (;;) {
        if (d->finished) {
            if (!d->pending.len) return 0;
            hand_out(d, bytes, len);
            return 1;
        }
        if (d->pending_has_newline && (d->pending.len >= HAND_OUT_BYTES || d->paused)) {
            hand_out(d, bytes, len);
            return 1;
        }
        if (d->paused) {
            d->paused = false;
            curl_easy_pause(d->easy, CURLPAUSE_CONT);
        }
        int running = 0;
        if (curl_multi_perform(d->multi, &running) != CURLM_OK) {
            fail(d->error, "libcurl failed while downloading");
            d->failed = true;
            return -1;
        }
        CURLMsg *message;
        int left;
        while ((message = curl_multi_info_read(d->multi, &left)))
            if (message->msg == CURLMSG_DONE && message->easy_handle == d->easy)
                attempt_done(d, message->data.result);
        if (d->failed) return -1;
        if (!d->finished && running && !d->paused && d->pending.len < HAND_OUT_BYTES)
            curl_multi_poll(d->multi, NULL, 0, 1000, NULL);
    }
}

/* See fetch.h. */
const char *sync_download_error(const sync_download *download) {
    return download->failed ? download->error : "";
}

/* See fetch.h. */
uint64_t sync_download_bytes(const sync_download *download) { return download->handed; }

/* See fetch.h. */
void sync_download_free(sync_download *download) {
    if (!download) return;
    end_attempt(download);
    if (download->multi) curl_multi_cleanup(download->multi);
    buf_free(&download->pending);
    buf_free(&download->piece);
    buf_free(&download->error_body);
    free(download->url);
    free(download);
}
