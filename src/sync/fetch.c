#include "sync/fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "export/http.h"
#include "export/retry.h"
#include "export/url.h"
#include "json/json.h"
#include "source/source.h"
#include "util/alloc.h"
#include "util/arena.h"
#include "util/timeutil.h"

/* Bytes of an error answer's body kept for the message. */
#define ERROR_BODY_KEEP 4096
/* What libcurl receives at a time (its buffer; the default, 16 KiB, costs a write each). */
#define RECEIVE_BYTES (256L * 1024)

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
static int64_t wait_before_retry(const sync_api *api, unsigned attempt, const char *retry_after,
                                 uint64_t *random_state) {
    int64_t delay;
    if (retry_after[0] &&
        retry_after_parse(retry_after, time_now_ns() / 1000000000, &delay) == 0)
        return delay < api->max_wait_ms ? delay : api->max_wait_ms;
    *random_state ^= (uint64_t)time_now_ns();
    if (!*random_state) *random_state = 1;
    return retry_backoff_ms(attempt, 500, 8000, retry_random(random_state));
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

/* What a person is told when an attempt failed and another follows (into text). */
static void describe_retry(const char *why, int64_t wait_ms, char *text, size_t size) {
    snprintf(text, size, "%s; trying again in %.1f s", why, (double)wait_ms / 1000.0);
}

/* Tell the caller that an attempt failed and another follows. */
static void notice_retry(const sync_api *api, const char *why, int64_t wait_ms) {
    if (!api->on_notice) return;
    char text[REASON_MAX + 64];
    describe_retry(why, wait_ms, text, sizeof text);
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
    uint64_t random_state = 0x9e3779b97f4a7c15ULL;
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
        int64_t wait_ms = wait_before_retry(api, attempt, retry_after, &random_state);
        notice_retry(api, reason, wait_ms);
        sleep_ms(wait_ms);
    }
}

/* ---- downloads ----------------------------------------------------------------------- */

struct sync_download {
    const sync_api *api;           /* borrowed */
    char *url;                     /* owned */
    pthread_t thread;              /* downloads the file into spool (download_main) */
    bool thread_started;
    source_t spool;                /* the file's bytes, in an unnamed temporary file: written
                                      by the thread only, until it ends */
    char path[32];                 /* "/dev/fd/N": opens spool's file */
    uint64_t random_state;         /* the thread's backoff randomness */
    /* The thread's own, while it runs: */
    CURL *easy;                    /* this attempt's transfer */
    uint64_t seen;                 /* bytes of the file this attempt received (the first
                                      spool.size of them came with an earlier one: skipped) */
    buf_t error_body;              /* a non-2xx answer's body (its first bytes) */
    char retry_after[64];          /* this attempt's Retry-After */
    char curl_error[CURL_ERROR_SIZE];
    bool write_failed;             /* the temporary file could not take the bytes */
    /* Shared, under lock: */
    pthread_mutex_t lock;
    pthread_cond_t changed;        /* the download ended, a notice came, or cancel was asked */
    bool finished;                 /* the whole file arrived */
    bool failed;                   /* it failed for good: error says why */
    bool cancel;                   /* the download is no longer wanted: stop */
    char error[REASON_MAX];
    buf_t notices;                 /* retry notices for the waiter to pass on, one a line */
};

/* Whether the current attempt's answer is a success (its body is the file). */
static bool answer_ok(sync_download *d) {
    long status = 0;
    curl_easy_getinfo(d->easy, CURLINFO_RESPONSE_CODE, &status);
    return status >= 200 && status < 300;
}

/* A download's bytes: the file's when the answer is a success, appended to the spool
 * (those an earlier attempt stored skipped), else the error body's first bytes. */
static size_t on_download_body(char *data, size_t size, size_t count, void *opaque) {
    sync_download *d = opaque;
    size_t len = size * count;
    if (!answer_ok(d)) {
        size_t room = ERROR_BODY_KEEP > d->error_body.len ? ERROR_BODY_KEEP - d->error_body.len : 0;
        buf_append(&d->error_body, data, len < room ? len : room);
        return len;
    }
    size_t skip = 0;
    if (d->seen < d->spool.size) {
        uint64_t behind = d->spool.size - d->seen;
        skip = behind < len ? (size_t)behind : len;
    }
    d->seen += len;
    if (skip == len) return len;
    char why[REASON_MAX];
    if (source_spool_write(&d->spool, data + skip, len - skip, why) != 0) {
        pthread_mutex_lock(&d->lock);
        memcpy(d->error, why, REASON_MAX);
        pthread_mutex_unlock(&d->lock);
        d->write_failed = true;
        return 0; /* ends the transfer */
    }
    return len;
}

/* libcurl's progress callback: non-zero (the transfer stops) once cancel was asked. */
static int on_download_progress(void *opaque, curl_off_t total, curl_off_t now,
                                curl_off_t up_total, curl_off_t up_now) {
    (void)total, (void)now, (void)up_total, (void)up_now;
    sync_download *d = opaque;
    pthread_mutex_lock(&d->lock);
    bool cancel = d->cancel;
    pthread_mutex_unlock(&d->lock);
    return cancel ? 1 : 0;
}

/* One attempt: GET the file into the spool. The transfer's code, *status its HTTP status
 * (0: none). */
static CURLcode run_attempt(sync_download *d, long *status) {
    struct curl_slist *headers;
    buf_clear(&d->error_body);
    d->seen = 0;
    d->retry_after[0] = '\0';
    d->curl_error[0] = '\0';
    *status = 0;
    d->easy = new_get(d->api, d->url, &headers, d->retry_after, d->curl_error);
    if (!d->easy) return CURLE_OUT_OF_MEMORY;
    CURLcode code = curl_easy_setopt(d->easy, CURLOPT_WRITEFUNCTION, on_download_body);
    if (code == CURLE_OK) code = curl_easy_setopt(d->easy, CURLOPT_WRITEDATA, d);
    if (code == CURLE_OK) code = curl_easy_setopt(d->easy, CURLOPT_XFERINFOFUNCTION, on_download_progress);
    if (code == CURLE_OK) code = curl_easy_setopt(d->easy, CURLOPT_XFERINFODATA, d);
    if (code == CURLE_OK) code = curl_easy_setopt(d->easy, CURLOPT_NOPROGRESS, 0L);
    if (code == CURLE_OK) code = curl_easy_setopt(d->easy, CURLOPT_BUFFERSIZE, RECEIVE_BYTES);
    /* No overall timeout (a large file takes its time); a stalled one is cut off. */
    if (code == CURLE_OK) code = curl_easy_setopt(d->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
    if (code == CURLE_OK) code = curl_easy_setopt(d->easy, CURLOPT_LOW_SPEED_TIME, 120L);
    if (code == CURLE_OK) code = curl_easy_perform(d->easy);
    curl_easy_getinfo(d->easy, CURLINFO_RESPONSE_CODE, status);
    curl_easy_cleanup(d->easy);
    curl_slist_free_all(headers);
    d->easy = NULL;
    return code;
}

/* End the download (under lock): finished, or failed with d->error; wakes the waiter. */
static void download_ended(sync_download *d, bool whole) {
    if (whole) d->finished = true;
    else d->failed = true;
    pthread_cond_broadcast(&d->changed);
}

/* The download's thread: attempts until the file is whole, the retries are spent, the
 * answer is final or cancel is asked, waiting between attempts as the answer or the
 * backoff says. */
static void *download_main(void *opaque) {
    sync_download *d = opaque;
    for (unsigned attempt = 1;; attempt++) {
        long status;
        CURLcode code = run_attempt(d, &status);
        pthread_mutex_lock(&d->lock);
        if (d->cancel || d->write_failed) {
            if (!d->write_failed) fail(d->error, "the download was stopped");
            download_ended(d, false); /* a stopped one has no waiter: only its thread ends */
            pthread_mutex_unlock(&d->lock);
            return NULL;
        }
        if (code != CURLE_OK) status = 0;
        retry_verdict verdict = classify(status, code);
        if (verdict == RETRY_ACCEPTED) {
            download_ended(d, true);
            pthread_mutex_unlock(&d->lock);
            return NULL;
        }
        describe_failure(d->api, d->url, status, code, d->curl_error, &d->error_body, d->error);
        if (verdict == RETRY_NEVER || attempt >= d->api->max_attempts) {
            download_ended(d, false);
            pthread_mutex_unlock(&d->lock);
            return NULL;
        }
        int64_t wait_ms = wait_before_retry(d->api, attempt, d->retry_after, &d->random_state);
        char text[REASON_MAX + 64];
        describe_retry(d->error, wait_ms, text, sizeof text);
        buf_puts(&d->notices, text);
        buf_putc(&d->notices, '\n');
        pthread_cond_broadcast(&d->changed);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += (time_t)(wait_ms / 1000);
        until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
        while (!d->cancel && pthread_cond_timedwait(&d->changed, &d->lock, &until) == 0) {}
        bool cancel = d->cancel;
        pthread_mutex_unlock(&d->lock);
        if (cancel) return NULL; /* no one waits for it any more */
    }
}

/* See fetch.h. */
sync_download *sync_download_start(const sync_api *api, const char *url, const char *name) {
    sync_download *d = xcalloc(1, sizeof *d);
    d->api = api;
    d->url = xstrdup(url);
    d->random_state = 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)d;
    d->spool.fd = -1;
    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->changed, NULL);
    if (http_libcurl_ready(d->error) != 0 || source_spool_new(&d->spool, name, d->error) != 0) {
        d->failed = true;
        return d;
    }
    snprintf(d->path, sizeof d->path, "/dev/fd/%d", d->spool.fd);
    if (pthread_create(&d->thread, NULL, download_main, d) != 0) {
        fail(d->error, "cannot start a thread for the download");
        d->failed = true;
        return d;
    }
    d->thread_started = true;
    return d;
}

/* Pass the retry notices the thread left on to the caller (on the caller's thread). */
static void pass_notices(sync_download *d) {
    pthread_mutex_lock(&d->lock);
    buf_t notices = d->notices;
    d->notices = (buf_t)BUF_INIT;
    pthread_mutex_unlock(&d->lock);
    for (size_t at = 0; at < notices.len;) {
        char *end = memchr(notices.data + at, '\n', notices.len - at);
        *end = '\0';
        if (d->api->on_notice) d->api->on_notice(d->api->notice_ctx, notices.data + at);
        at = (size_t)(end - notices.data) + 1;
    }
    buf_free(&notices);
}

/* See fetch.h. */
int sync_download_wait(sync_download *download, char *reason) {
    sync_download *d = download;
    pthread_mutex_lock(&d->lock);
    while (!d->finished && !d->failed) {
        bool noticed = d->notices.len > 0;
        if (!noticed) pthread_cond_wait(&d->changed, &d->lock);
        pthread_mutex_unlock(&d->lock);
        pass_notices(d);
        pthread_mutex_lock(&d->lock);
    }
    bool failed = d->failed;
    if (failed) memcpy(reason, d->error, REASON_MAX);
    pthread_mutex_unlock(&d->lock);
    pass_notices(d);
    return failed ? -1 : 0;
}

/* See fetch.h. */
const char *sync_download_path(const sync_download *download) { return download->path; }

/* See fetch.h. */
void sync_download_free(sync_download *download) {
    if (!download) return;
    if (download->thread_started) {
        pthread_mutex_lock(&download->lock);
        download->cancel = true;
        pthread_cond_broadcast(&download->changed);
        pthread_mutex_unlock(&download->lock);
        pthread_join(download->thread, NULL);
    }
    pass_notices(download);
    pthread_mutex_destroy(&download->lock);
    pthread_cond_destroy(&download->changed);
    source_close(&download->spool);
    buf_free(&download->error_body);
    buf_free(&download->notices);
    free(download->url);
    free(download);
}
