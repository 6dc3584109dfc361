/* The OTLP/HTTP sender (see http.h) and the otlp exporter's transport built on it.
 *
 * Each request becomes a job: its body (and, with gzip, the compressed body), a deadline
 * (first attempt + the export timeout) and a libcurl easy handle while it is on the wire.
 * At most max_in_flight jobs exist at once, whether on the wire or waiting to retry; the
 * multi handle shares connections between them. A finished attempt is judged by
 * retry_classify: accepted, tried again after a backoff (or the server's Retry-After), or
 * failed. A failed job is spooled. When a job runs out of time, or the process is
 * interrupted, the sender stops: nothing new is sent, and jobs not on the wire go to the
 * spool at once, so a run never waits long for a backend that is down. */
#include "export/http.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "export/exporter_internal.h"
#include "export/otlp_response.h"
#include "export/otlp_split.h"
#include "export/retry.h"
#include "export/url.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/fault.h"
#include "util/reason.h"

enum {
    NOTICES_LISTED = 10,  /* failed requests described one by one; later ones are counted */
    POLL_MAX_MS = 100,    /* longest wait between looks at the interruption flag */
    /* libcurl's upload buffer per transfer (its default: 64 KiB): what one turn of the
     * sender (a pump, EXPORT_PUMP_BYTES apart) hands the socket. Measured on two cores against
     * a loopback sink (bench/README.md): 512 KiB with a pump each 512 KiB of spans took a
     * collect over OTLP 15% less time and 5 MB less peak memory than 64 KiB sent only when a
     * request filled. */
    HTTP_UPLOAD_BUFFER_BYTES = 512 * 1024,
};

/* The parts of a spooled request that was split after a 413: the row stays as it is until
 * every part has its outcome; then, in one transaction, the parts not delivered become
 * rows of their own and the row is deleted (store_spool_replace). */
typedef struct split_family {
    int64_t spool_id;                  /* the row the parts come from */
    size_t pending;                    /* parts without an outcome yet */
    spool_chunk *failed;               /* the parts not delivered, to spool; owned */
    size_t failed_count;
} split_family;

/* One request under way. */
typedef struct otlp_job {
    bt_str body;                       /* the encoded request, uncompressed: in storage */
    buf_t storage;                     /* holds body (a copy, or the exporter's buffer) */
    buf_t wire;                        /* its gzip form when that is what is sent, else empty */
    size_t span_count;                 /* spans in body */
    otlp_protocol protocol;            /* body's encoding */
    char *braintrust_parent;           /* x-bt-parent, or NULL; owned */
    int64_t spool_id;                  /* > 0: the spool row it came from */
    split_family *family;              /* a part of a split spooled request, or NULL */
    size_t span_offset;                /* index of its first span in the request it was
                                          split from (0 when it was not) */
    uint64_t *tags;                    /* its spans' tags for the outcome callback; owned */
    size_t tag_count;
    unsigned attempts;                 /* attempts started */
    int64_t deadline_ms;               /* monotonic: no attempt runs past it */
    int64_t next_attempt_ms;           /* monotonic: when the next attempt may start */
    CURL *easy;                        /* the transfer while on the wire, else NULL */
    struct curl_slist *headers;        /* the transfer's header lines */
    buf_t response;                    /* the answer's body, first HTTP_RESPONSE_KEEP bytes */
    char retry_after[64];              /* the answer's Retry-After ("" when none) */
    char curl_error[CURL_ERROR_SIZE];  /* libcurl's words for a failed transfer */
    char *last_failure;                /* what the last attempt met, when another was due;
                                          owned, NULL before */
} otlp_job;

struct otlp_sender {
    CURLM *multi;                      /* runs the transfers, shares connections */
    char *url;                         /* the traces URL; owned */
    char *shown_url;                   /* the same with credentials hidden; owned */
    char **header_lines;               /* configured "Name: value" lines; owned */
    size_t header_count;
    char *braintrust_parent;           /* the configured x-bt-parent, or NULL; owned */
    bool gzip;                         /* compress bodies */
    size_t max_request_bytes;          /* no body sent is larger */
    unsigned max_in_flight;            /* most jobs at once */
    long timeout_ms;                   /* one attempt */
    long export_timeout_ms;            /* one job, all attempts */
    int64_t backoff_base_ms;           /* the retry_schedule for export_timeout_ms */
    int64_t backoff_cap_ms;
    uint64_t random_state;             /* for the jitter */
    char *store_url;                   /* the spool's store, or NULL; owned */
    char *store_shown;                 /* store_url as messages show it (no password); owned */
    store_t *store;                    /* opened at the first need */
    bool spool_unusable;               /* the store failed to open, or stayed locked: the
                                          rest of the run does not try it again */
    export_notice_fn on_notice;        /* may be NULL */
    void *notice_ctx;
    export_outcome_fn on_outcome;      /* told each job's final outcome; may be NULL */
    void *outcome_ctx;
    otlp_job **jobs;                   /* under way (max_in_flight, more after a split); owned */
    size_t job_count;
    size_t job_cap;                    /* slots allocated */
    bool stopped;                      /* nothing more is sent */
    char stop_reason[REASON_MAX];      /* why ("" until stopped) */
    bool interrupted;                  /* stopped by exporter_interrupt */
    int64_t grace_end_ms;              /* after an interruption: transfers are cut then */
    unsigned failure_notices;          /* failed requests described so far */
    unsigned split_notices;            /* requests split after a 413, described so far */
    export_report report;              /* outcomes so far */
    export_details details;            /* the rest of them */
    char first_failure[REASON_MAX];    /* see otlp_sender_first_failure */
    buf_t spare;                       /* a finished job's storage, kept for the next
                                          request taken without a copy (empty: none) */
};

static pthread_once_t http_global_once = PTHREAD_ONCE_INIT;
static CURLcode http_global_status = CURLE_FAILED_INIT; /* curl_global_init's answer */

/* Initialize libcurl once per process (curl_global_init is not thread-safe by itself). */
static void http_global_init(void) { http_global_status = curl_global_init(CURL_GLOBAL_DEFAULT); }

/* See http.h. */
CURLcode http_web_protocols_only(CURL *easy) {
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0 */
    return curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    return curl_easy_setopt(easy, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
}

/* See http.h. */
int http_libcurl_ready(char *reason) {
    pthread_once(&http_global_once, http_global_init);
    if (http_global_status != CURLE_OK)
        return fail(reason, "libcurl initialization failed: %s",
                    curl_easy_strerror(http_global_status));
    return 0;
}

/* The monotonic clock in milliseconds (deadlines do not move with the wall clock). */
static int64_t monotonic_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Tell the caller about something, with its severity, if it listens. */
static void tell(const otlp_sender *s, batchtrace_severity severity, const char *fmt,
                 va_list ap) {
    if (!s->on_notice) return;
    buf_t text = BUF_INIT;
    buf_vprintf(&text, fmt, ap);
    s->on_notice(s->notice_ctx, severity, buf_cstr(&text));
    buf_free(&text);
}

static void notice(const otlp_sender *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Tell the caller about something that loses nothing (a request spooled, a retry). */
static void notice(const otlp_sender *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    tell(s, BATCHTRACE_WARNING, fmt, ap);
    va_end(ap);
}

static void notice_loss(const otlp_sender *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Tell the caller that spans are lost: neither delivered nor spooled, or refused by the
 * server in a partial success. */
static void notice_loss(const otlp_sender *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    tell(s, BATCHTRACE_ERROR, fmt, ap);
    va_end(ap);
}

/* "s" when n is not 1. */
static const char *plural(uint64_t n) { return n == 1 ? "" : "s"; }

/* See http.h. */
int http_check_header_line(const char *line, size_t index, char *reason) {
    const char *colon = strchr(line, ':');
    if (!colon || colon == line)
        return fail(reason, "OTLP header %zu is not \"Name: value\"", index + 1);
    if (strpbrk(line, "\r\n"))
        return fail(reason, "OTLP header %zu contains a line break", index + 1);
    return 0;
}

/* gzip data[0..len) into out (cleared first). 0, or -1 with reason. */
static int gzip_compress(const void *data, size_t len, buf_t *out, char *reason) {
    z_stream z;
    memset(&z, 0, sizeof z);
    /* windowBits 15 + 16: a gzip wrapper rather than zlib's. Level 1: 2.75 times zlib's
     * default speed for 17% more bytes (docs/design.md, Export, "gzip"). */
    if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return fail(reason, "gzip: cannot start the compressor");
    buf_clear(out);
    size_t bound = deflateBound(&z, (uLong)len);
    buf_grow(out, bound);
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out->data;
    z.avail_out = (uInt)bound;
    int rc = deflate(&z, Z_FINISH);
    out->len = bound - z.avail_out;
    out->data[out->len] = '\0';
    deflateEnd(&z);
    if (rc != Z_STREAM_END) return fail(reason, "gzip: compression failed (%d)", rc);
    return 0;
}

/* The protocol's name, as the spool records it. */
static const char *protocol_name(otlp_protocol protocol) {
    return protocol == OTLP_HTTP_JSON ? "http/json" : "http/protobuf";
}

/* See http.h. */
otlp_sender *otlp_sender_new(const otlp_config *config, char *reason) {
    if (http_libcurl_ready(reason) != 0) return NULL;
    if (!config->traces_url || !config->traces_url[0]) {
        fail(reason, "no OTLP traces URL");
        return NULL;
    }
    size_t header_count = 0;
    for (; config->headers && config->headers[header_count]; header_count++)
        if (http_check_header_line(config->headers[header_count], header_count, reason) != 0)
            return NULL;
    otlp_sender *s = xcalloc(1, sizeof *s);
    s->multi = curl_multi_init();
    if (!s->multi) {
        fail(reason, "libcurl could not create a multi handle");
        free(s);
        return NULL;
    }
    s->url = xstrdup(config->traces_url);
    s->shown_url = url_redact(config->traces_url);
    s->header_lines = xcalloc(header_count + 1, sizeof *s->header_lines);
    for (size_t i = 0; i < header_count; i++) s->header_lines[i] = xstrdup(config->headers[i]);
    s->header_count = header_count;
    s->braintrust_parent = xstrdup(config->braintrust_parent);
    s->gzip = config->gzip != 0;
    s->max_request_bytes =
        config->max_request_bytes ? config->max_request_bytes : OTLP_DEFAULT_MAX_REQUEST_BYTES;
    s->max_in_flight = config->max_in_flight ? config->max_in_flight : OTLP_DEFAULT_MAX_IN_FLIGHT;
    s->timeout_ms = config->timeout_ms > 0 ? config->timeout_ms : OTLP_DEFAULT_TIMEOUT_MS;
    s->export_timeout_ms =
        config->export_timeout_ms > 0 ? config->export_timeout_ms : OTLP_DEFAULT_EXPORT_TIMEOUT_MS;
    retry_schedule(s->export_timeout_ms, &s->backoff_base_ms, &s->backoff_cap_ms);
    s->random_state = (uint64_t)time(NULL) * UINT64_C(0x9E3779B97F4A7C15) ^
                      (uint64_t)monotonic_ms() ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)s;
    if (s->random_state == 0) s->random_state = 1;
    s->store_url = xstrdup(config->store_url);
    s->store_shown = config->store_url ? store_shown_url(config->store_url) : NULL;
    s->on_notice = config->on_notice;
    s->notice_ctx = config->notice_ctx;
    s->job_cap = s->max_in_flight;
    s->jobs = xcalloc(s->job_cap, sizeof *s->jobs);
    exporter_watch_interrupts(1);
    return s;
}

/* Add job to the list, growing it when a split made more jobs than max_in_flight. */
static void push_job(otlp_sender *s, otlp_job *job) {
    if (s->job_count == s->job_cap) {
        s->job_cap *= 2;
        s->jobs = xreallocarray(s->jobs, s->job_cap, sizeof *s->jobs);
    }
    s->jobs[s->job_count++] = job;
}

/* Stop sending (once): what is not on the wire goes to the spool from now on. */
static void stop_sending(otlp_sender *s, const char *why) {
    if (s->stopped) return;
    s->stopped = true;
    fail(s->stop_reason, "%s", why); /* each request not sent says so as it is spooled */
}

/* Remember the first failure. */
static void note_first_failure(otlp_sender *s, const char *why) {
    if (!s->first_failure[0]) fail(s->first_failure, "%s", why);
}

/* Open the store on first use (its busy waits end at an interruption). NULL with reason
 * when there is none, or it did not open: then, as after a lock held past the busy timeout,
 * the spool is unusable for the rest of the run and is not tried (nor waited for) again. */
static store_t *spool_store(otlp_sender *s, char *reason) {
    if (s->spool_unusable) {
        fail(reason, "the spool cannot be used in this run (see above)");
        return NULL;
    }
    if (s->store) return s->store;
    if (!s->store_url) {
        fail(reason, "no store to spool to");
        return NULL;
    }
    s->store = store_open(s->store_url, true, reason);
    if (!s->store) {
        s->spool_unusable = true;
        return NULL;
    }
    store_set_cancel(s->store, exporter_interrupted);
    return s->store;
}

/* Take a job out of the list and free it (its transfer must be over). */
static void drop_job(otlp_sender *s, otlp_job *job) {
    for (size_t i = 0; i < s->job_count; i++) {
        if (s->jobs[i] != job) continue;
        s->jobs[i] = s->jobs[--s->job_count];
        break;
    }
    if (!s->spare.cap) { /* kept for the next request taken: no new allocation */
        s->spare = job->storage;
        s->spare.len = 0;
    } else {
        buf_free(&job->storage);
    }
    buf_free(&job->wire);
    buf_free(&job->response);
    free(job->last_failure);
    free(job->braintrust_parent);
    free(job->tags);
    free(job);
}

/* Tell the outcome callback what became of job's spans. */
static void report_outcome(const otlp_sender *s, const otlp_job *job, export_outcome outcome) {
    if (s->on_outcome && job->tag_count)
        s->on_outcome(s->outcome_ctx, job->tags, job->tag_count, outcome);
}

/* End a transfer: detach and release the easy handle and its header lines. */
static void end_transfer(otlp_sender *s, otlp_job *job) {
    if (!job->easy) return;
    curl_multi_remove_handle(s->multi, job->easy);
    curl_easy_cleanup(job->easy);
    job->easy = NULL;
    curl_slist_free_all(job->headers);
    job->headers = NULL;
}

/* Release a family and what it holds. */
static void family_free(split_family *family) {
    for (size_t i = 0; i < family->failed_count; i++) {
        free((void *)family->failed[i].body);
        free((void *)family->failed[i].braintrust_parent);
        free((void *)family->failed[i].reason);
    }
    free(family->failed);
    free(family);
}

/* One part of family has its outcome. After the last one, the parts not delivered replace
 * the spooled row in one transaction (none: the row is deleted). When the store refuses,
 * the row stays whole (its lease runs out) and a later flush sends again the parts that
 * were delivered: at least once, never lost. */
static void family_part_done(otlp_sender *s, split_family *family) {
    if (--family->pending > 0) return;
    char reason[REASON_MAX] = "";
    store_t *store = spool_store(s, reason);
    if (!store || store_spool_replace(store, family->spool_id, family->failed,
                                      family->failed_count, reason) != 0)
        notice(s, "a split spooled request could not be replaced by its parts (%s): it stays "
                  "whole, and a later flush sends its delivered parts again", reason);
    family_free(family);
}

/* The job could not be delivered, for why: spool it (or, when it came from the spool,
 * leave it there; when it is a part of a split spooled request, keep it for the row that
 * replaces it), count and tell, then drop it. */
static void fail_job(otlp_sender *s, otlp_job *job, const char *why) {
    end_transfer(s, job);
    note_first_failure(s, why);
    uint64_t spans = job->span_count;
    s->report.spans_failed += spans;
    char reason[REASON_MAX] = "";
    const char *outcome;
    bool was_usable = !s->spool_unusable;
    store_t *store = spool_store(s, reason);
    if (job->family) {
        split_family *family = job->family;
        family->failed = xreallocarray(family->failed, family->failed_count + 1,
                                       sizeof *family->failed);
        family->failed[family->failed_count++] =
            (spool_chunk){0,
                          protocol_name(job->protocol),
                          spans,
                          memcpy(xmalloc(job->body.len + 1), job->body.ptr, job->body.len),
                          job->body.len,
                          s->shown_url,
                          xstrdup(job->braintrust_parent),
                          xstrdup(why)};
        s->details.spans_spooled += spans;
        outcome = "spooled";
        job->family = NULL;
        family_part_done(s, family);
    } else if (job->spool_id > 0) {
        int released = store ? store_spool_release(store, job->spool_id, why, reason) : 0;
        if (released == STORE_LOCKED) s->spool_unusable = true; /* not waited for again */
        if (released != 0) notice(s, "%s", reason); /* the row stays; its lease runs out */
        s->details.spans_spooled += spans;
        outcome = "stay in the spool";
    } else {
        spool_chunk chunk = {0,
                             protocol_name(job->protocol),
                             spans,
                             job->body.ptr,
                             job->body.len,
                             s->shown_url,
                             job->braintrust_parent,
                             why};
        int put = store ? store_spool_put(store, &chunk, reason) : -1;
        if (put == 0) {
            s->details.spans_spooled += spans;
            outcome = "spooled";
        } else {
            if (put == STORE_LOCKED) s->spool_unusable = true;
            /* Nothing more can be done: say so loudly, whatever the notice count (why the
             * spool is unusable, once; later losses point to it). */
            notice_loss(s, "%s; %" PRIu64 " span%s could not be spooled and are lost: %s%s", why,
                        spans, plural(spans), reason,
                        was_usable && s->spool_unusable
                            ? "; the spool is not tried again in this run"
                            : "");
            report_outcome(s, job, EXPORT_LOST);
            drop_job(s, job);
            return;
        }
    }
    report_outcome(s, job, EXPORT_SPOOLED);
    s->failure_notices++;
    if (s->failure_notices <= NOTICES_LISTED)
        notice(s, "%s; %" PRIu64 " span%s %s", why, spans, plural(spans), outcome);
    if (s->failure_notices == NOTICES_LISTED + 1)
        notice(s, "more requests failed; they are counted in the summary, not listed");
    drop_job(s, job);
}

/* libcurl's body callback: keep the first HTTP_RESPONSE_KEEP bytes, drop the rest. */
static size_t on_body(char *bytes, size_t size, size_t count, void *opaque) {
    otlp_job *job = opaque;
    size_t len = size * count;
    if (job->response.len < HTTP_RESPONSE_KEEP) {
        size_t room = HTTP_RESPONSE_KEEP - job->response.len;
        buf_append(&job->response, bytes, len < room ? len : room);
    }
    return len;
}

/* libcurl's header callback: keep Retry-After. */
static size_t on_header(char *line, size_t size, size_t count, void *opaque) {
    otlp_job *job = opaque;
    size_t len = size * count;
    static const char name[] = "retry-after:";
    if (len > sizeof name - 1 && strncasecmp(line, name, sizeof name - 1) == 0) {
        size_t value_len = len - (sizeof name - 1);
        while (value_len && (line[sizeof name - 1 + value_len - 1] == '\r' ||
                             line[sizeof name - 1 + value_len - 1] == '\n'))
            value_len--;
        if (value_len >= sizeof job->retry_after) value_len = sizeof job->retry_after - 1;
        memcpy(job->retry_after, line + sizeof name - 1, value_len);
        job->retry_after[value_len] = '\0';
    }
    return len;
}

/* Append a header line to the job's list. false when out of memory. */
static bool add_header(otlp_job *job, const char *line) {
    struct curl_slist *grown = curl_slist_append(job->headers, line);
    if (!grown) return false;
    job->headers = grown;
    return true;
}

/* Build the attempt's header lines. false when out of memory. */
static bool build_headers(const otlp_sender *s, otlp_job *job) {
    const char *type = job->protocol == OTLP_HTTP_JSON ? "Content-Type: application/json"
                                                       : "Content-Type: application/x-protobuf";
    /* "Expect:" turns off libcurl's 100-continue wait before large bodies. */
    if (!add_header(job, type) || !add_header(job, "Expect:")) return false;
    if (job->wire.len && !add_header(job, "Content-Encoding: gzip")) return false;
    for (size_t i = 0; i < s->header_count; i++)
        if (!add_header(job, s->header_lines[i])) return false;
    if (job->braintrust_parent) {
        buf_t line = BUF_INIT;
        buf_printf(&line, "x-bt-parent: %s", job->braintrust_parent);
        bool added = add_header(job, buf_cstr(&line));
        buf_free(&line);
        if (!added) return false;
    }
    return true;
}

/* Start an attempt of job now. On a local failure the job fails (and is dropped). */
static void start_attempt(otlp_sender *s, otlp_job *job, int64_t now) {
    int64_t remaining = job->deadline_ms - now;
    char why[REASON_MAX];
    if (remaining <= 0) { /* the next attempt came due too late (a busy machine) */
        if (job->last_failure)
            fail(why, "%s; gave up after %u attempt%s within the export timeout (%ld ms)",
                 job->last_failure, job->attempts, plural(job->attempts), s->export_timeout_ms);
        else
            fail(why, "POST %s: no time left for another attempt (export timeout %ld ms)",
                 s->shown_url, s->export_timeout_ms);
        fail_job(s, job, why);
        return;
    }
    job->attempts++;
    job->response.len = 0;
    job->retry_after[0] = '\0';
    job->curl_error[0] = '\0';
    bt_str sent = job->wire.len ? (bt_str){job->wire.data, job->wire.len} : job->body;
    long timeout = remaining < s->timeout_ms ? (long)remaining : s->timeout_ms;
    CURL *easy = curl_easy_init();
    CURLcode rc = easy ? CURLE_OK : CURLE_OUT_OF_MEMORY;
    job->easy = easy;
    if (rc == CURLE_OK && !build_headers(s, job)) rc = CURLE_OUT_OF_MEMORY;
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, CURLOPT_URL, s->url);
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, CURLOPT_HTTPHEADER, job->headers);
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, CURLOPT_POST, 1L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(easy, CURLOPT_POSTFIELDS, sent.ptr ? sent.ptr : "");
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)sent.len);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(easy, CURLOPT_UPLOAD_BUFFERSIZE, (long)HTTP_UPLOAD_BUFFER_BYTES);
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout);
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    if (rc == CURLE_OK)
        rc = curl_easy_setopt(easy, CURLOPT_USERAGENT, "batchtrace/" BATCHTRACE_VERSION);
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, CURLOPT_WRITEDATA, job);
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, CURLOPT_HEADERDATA, job);
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, job->curl_error);
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, CURLOPT_PRIVATE, job);
    if (rc == CURLE_OK) rc = http_web_protocols_only(easy);
    if (rc == CURLE_OK && curl_multi_add_handle(s->multi, easy) != CURLM_OK)
        rc = CURLE_FAILED_INIT;
    if (rc != CURLE_OK) {
        if (easy) curl_easy_cleanup(easy);
        job->easy = NULL;
        curl_slist_free_all(job->headers);
        job->headers = NULL;
        fail(why, "POST %s: cannot start the request: %s", s->shown_url, curl_easy_strerror(rc));
        fail_job(s, job, why);
    }
}

/* The server accepted job: read its partial_success, count, and drop the job (deleting
 * it from the spool when it came from there). */
static void accept_job(otlp_sender *s, otlp_job *job, long status) {
    fault_point("http.accepted");
    otlp_response answer;
    char why[REASON_MAX] = "";
    uint64_t spans = job->span_count;
    if (otlp_response_parse(job->response.data, job->response.len, job->protocol, &answer,
                            why) != 0) {
        notice(s, "POST %s: HTTP %ld, but the answer is not an ExportTraceServiceResponse "
                  "(%s); counted as delivered", s->shown_url, status, why);
        answer.rejected_spans = 0;
        answer.error_message[0] = '\0';
    }
    uint64_t rejected = (uint64_t)answer.rejected_spans;
    if (rejected > spans) rejected = spans;
    s->report.spans_exported += spans - rejected;
    s->details.spans_rejected += rejected;
    if (rejected > 0) {
        char text[REASON_MAX];
        fail(text, "the server rejected %" PRIu64 " of %" PRIu64 " span%s: %s", rejected, spans,
             plural(spans), answer.error_message[0] ? answer.error_message : "(no message)");
        note_first_failure(s, text);
        notice_loss(s, "%s", text);
    } else if (answer.error_message[0]) {
        notice(s, "the server accepted %" PRIu64 " span%s with a warning: %s", spans,
               plural(spans), answer.error_message);
    }
    if (job->family) {
        split_family *family = job->family;
        job->family = NULL;
        family_part_done(s, family);
    } else if (job->spool_id > 0) {
        char reason[REASON_MAX] = "";
        store_t *store = spool_store(s, reason);
        int deleted = store ? store_spool_delete(store, job->spool_id, reason) : -1;
        if (deleted == STORE_LOCKED) s->spool_unusable = true; /* not waited for again */
        if (deleted != 0)
            notice(s, "a spooled request was delivered but could not be removed from the "
                      "spool (%s): a later flush sends it again", reason);
    }
    report_outcome(s, job, EXPORT_DELIVERED);
    drop_job(s, job);
}

static otlp_job *new_job(otlp_sender *s, const otlp_request *request, char *why);

/* The server refused job as too large (413, said in what): send its spans again as two
 * requests of half as many, cut at span boundaries (otlp_split.h), each split again on its
 * own 413 down to one span. The parts are new jobs; job is dropped unspooled. A part of a
 * spooled request joins its family (see split_family). false when the body cannot be cut
 * (then nothing changed). */
static bool split_job(otlp_sender *s, otlp_job *job, const char *what) {
    otlp_spans spans;
    char reason[REASON_MAX];
    if (otlp_spans_parse(job->body, job->protocol, &spans, reason) != 0) return false;
    if (spans.span_count != job->span_count) {
        otlp_spans_free(&spans);
        return false;
    }
    split_family *family = job->family;
    if (!family && job->spool_id > 0) {
        family = xcalloc(1, sizeof *family);
        family->spool_id = job->spool_id;
        family->pending = 1;
    }
    if (family) family->pending++; /* one job becomes two parts */
    size_t counts[2] = {job->span_count / 2, job->span_count - job->span_count / 2};
    buf_t part_body = BUF_INIT;
    int64_t now = monotonic_ms();
    for (size_t half = 0, first = 0; half < 2; first += counts[half], half++) {
        otlp_spans_build(&spans, first, counts[half], &part_body);
        bool tagged = job->tag_count == job->span_count; /* one tag per span, in order */
        otlp_request request = {{part_body.data, part_body.len}, counts[half], job->protocol,
                                job->braintrust_parent, 0, NULL,
                                tagged ? job->tags + first : NULL, tagged ? counts[half] : 0};
        char too_large[REASON_MAX] = ""; /* cannot be: a part is smaller than its whole */
        otlp_job *part = new_job(s, &request, too_large);
        part->family = family;
        part->span_offset = job->span_offset + first;
        part->deadline_ms = now + s->export_timeout_ms;
        part->next_attempt_ms = now;
        push_job(s, part);
    }
    buf_free(&part_body);
    otlp_spans_free(&spans);
    if (s->split_notices++ < NOTICES_LISTED)
        notice(s, "%s; sending its %zu spans again as requests of %zu and %zu", what,
               job->span_count, counts[0], counts[1]);
    job->family = NULL; /* handed to the parts */
    drop_job(s, job);
    return true;
}

/* An attempt of job ended with libcurl's result: judge it (retry.h) and act. */
static void attempt_done(otlp_sender *s, otlp_job *job, CURLcode result) {
    long status = 0;
    const char *content_type = NULL;
    curl_easy_getinfo(job->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(job->easy, CURLINFO_CONTENT_TYPE, &content_type);
    char what[REASON_MAX]; /* what happened, for messages */
    if (status > 0) {
        char message[OTLP_MESSAGE_MAX];
        otlp_error_message(job->response.data, job->response.len, content_type, message,
                           sizeof message);
        /* The server's message may quote the URL too. */
        buf_t words = BUF_INIT;
        url_scrub(s->url, message, "(a message that quotes the URL; not shown)", &words);
        if (message[0]) fail(what, "POST %s: HTTP %ld: %s", s->shown_url, status, buf_cstr(&words));
        else fail(what, "POST %s: HTTP %ld", s->shown_url, status);
        buf_free(&words);
    } else {
        /* libcurl's words may quote the URL or a part of it: never a secret of it. */
        buf_t words = BUF_INIT;
        url_scrub(s->url, job->curl_error[0] ? job->curl_error : curl_easy_strerror(result),
                  curl_easy_strerror(result), &words);
        fail(what, "POST %s: %s", s->shown_url, buf_cstr(&words));
        buf_free(&words);
    }
    end_transfer(s, job);

    retry_verdict verdict = retry_classify(status, (int)result);
    if (verdict == RETRY_ACCEPTED) {
        accept_job(s, job, status);
        return;
    }
    char why[REASON_MAX];
    if (verdict == RETRY_NEVER) {
        if (status == 413 && job->span_count > 1 && split_job(s, job, what)) return;
        fail_job(s, job, what);
        return;
    }
    if (s->stopped) {
        fail(why, "%s; not tried again: %s", what, s->stop_reason);
        fail_job(s, job, why);
        return;
    }
    int64_t now = monotonic_ms();
    int64_t wait_ms;
    bool server_said = job->retry_after[0] &&
                       retry_after_parse(job->retry_after, (int64_t)time(NULL), &wait_ms) == 0;
    if (!server_said)
        wait_ms = retry_backoff_ms(job->attempts, s->backoff_base_ms, s->backoff_cap_ms,
                                   retry_random(&s->random_state));
    if (now + wait_ms < job->deadline_ms) {
        job->next_attempt_ms = now + wait_ms;
        free(job->last_failure);
        job->last_failure = xstrdup(what);
        return;
    }
    if (server_said)
        fail(why, "%s; the server asked to wait %" PRId64 " s, past the export timeout (%ld s)",
             what, wait_ms / 1000, s->export_timeout_ms / 1000);
    else
        fail(why, "%s; gave up after %u attempt%s within the export timeout (%ld ms)", what,
             job->attempts, plural(job->attempts), s->export_timeout_ms);
    fail_job(s, job, why);
    stop_sending(s, "an earlier request ran out of time");
}

/* One round of work: start the attempts that are due, move the transfers along, judge
 * the finished ones; then, when wait is true, sleep until something happens (at most
 * POLL_MAX_MS, so an interruption is seen soon). */
static void sender_step(otlp_sender *s, bool wait) {
    int64_t now = monotonic_ms();
    if (!s->interrupted && exporter_interrupted()) {
        s->interrupted = true;
        s->grace_end_ms = now + HTTP_INTERRUPT_GRACE_MS;
        stop_sending(s, "interrupted");
    }
    /* At most max_in_flight on the wire, even when splits made more jobs. */
    size_t on_wire = 0;
    for (size_t i = 0; i < s->job_count; i++) on_wire += s->jobs[i]->easy != NULL;
    /* Backwards, since dropping a job moves the last one into its slot. */
    for (size_t i = s->job_count; i-- > 0;) {
        otlp_job *job = s->jobs[i];
        if (job->easy) {
            if (s->interrupted && now >= s->grace_end_ms) {
                char why[REASON_MAX];
                fail(why, "POST %s: cut short by the interruption", s->shown_url);
                fail_job(s, job, why);
            }
            continue;
        }
        if (s->stopped) {
            char why[REASON_MAX];
            if (job->attempts)
                fail(why, "POST %s: not tried again after %u attempt%s: %s", s->shown_url,
                     job->attempts, plural(job->attempts), s->stop_reason);
            else
                fail(why, "POST %s: not sent: %s", s->shown_url, s->stop_reason);
            fail_job(s, job, why);
        } else if (now >= job->next_attempt_ms && on_wire < s->max_in_flight) {
            start_attempt(s, job, now);
            on_wire++;
        }
    }
    int running = 0;
    curl_multi_perform(s->multi, &running);
    CURLMsg *message;
    int queued;
    while ((message = curl_multi_info_read(s->multi, &queued))) {
        if (message->msg != CURLMSG_DONE) continue;
        otlp_job *job = NULL;
        curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, (char **)&job);
        if (job) attempt_done(s, job, message->data.result);
    }
    if (!wait || s->job_count == 0) return;
    int64_t sleep_ms = POLL_MAX_MS;
    now = monotonic_ms();
    on_wire = 0;
    for (size_t i = 0; i < s->job_count; i++) on_wire += s->jobs[i]->easy != NULL;
    /* A job waiting for a free slot (after a split) waits for a transfer to end, which
     * ends the poll: no need to wake for it. */
    for (size_t i = 0; i < s->job_count && on_wire < s->max_in_flight; i++) {
        if (s->jobs[i]->easy) continue;
        int64_t until = s->jobs[i]->next_attempt_ms - now;
        if (until < sleep_ms) sleep_ms = until < 0 ? 0 : until;
    }
    curl_multi_poll(s->multi, NULL, 0, (int)sleep_ms, NULL);
}

/* Give job a copy of the request's tags. */
static void hold_tags(otlp_job *job, const otlp_request *request) {
    if (!request->tag_count) return;
    job->tags = xcalloc(request->tag_count, sizeof *job->tags);
    memcpy(job->tags, request->tags, request->tag_count * sizeof *job->tags);
    job->tag_count = request->tag_count;
}

/* Give job the bytes of body: take *storage, which holds them, leaving the spare buffer
 * in its place; without storage, copy them. */
static void hold_body(otlp_sender *s, otlp_job *job, bt_str body, buf_t *storage) {
    if (storage) {
        job->storage = *storage;
        *storage = s->spare;
        s->spare = (buf_t)BUF_INIT;
        job->body = body; /* the bytes did not move: only their owner changed */
    } else {
        buf_append(&job->storage, body.ptr, body.len);
        job->body = (bt_str){job->storage.data, body.len};
    }
}

/* A new job for request (body taken or copied, see otlp_request.storage; compressed when
 * gzip is on and that fits). Its why is set when no form of the body fits
 * max_request_bytes. */
static otlp_job *new_job(otlp_sender *s, const otlp_request *request, char *why) {
    otlp_job *job = xcalloc(1, sizeof *job);
    hold_body(s, job, request->body, request->storage);
    hold_tags(job, request);
    job->span_count = request->span_count;
    job->protocol = request->protocol;
    job->braintrust_parent = xstrdup(request->braintrust_parent ? request->braintrust_parent
                                                                : s->braintrust_parent);
    job->spool_id = request->spool_id;
    if (s->gzip) {
        char reason[REASON_MAX];
        if (gzip_compress(job->body.ptr, job->body.len, &job->wire, reason) != 0) {
            notice(s, "%s; sending uncompressed", reason);
            buf_clear(&job->wire);
        } else if (job->wire.len > s->max_request_bytes) {
            buf_clear(&job->wire); /* incompressible: the plain body may still fit */
        }
    }
    if (!job->wire.len && job->body.len > s->max_request_bytes)
        fail(why, "a request of %zu bytes%s is larger than --max-request-bytes %zu", job->body.len,
             s->gzip ? " (compressed too)" : "", s->max_request_bytes);
    return job;
}

/* See http.h. */
void otlp_sender_pump(otlp_sender *s) {
    if (s->job_count) sender_step(s, false);
}

/* See http.h. */
void otlp_sender_submit(otlp_sender *s, const otlp_request *request) {
    while (s->job_count >= s->max_in_flight) sender_step(s, true);
    char why[REASON_MAX] = "";
    otlp_job *job = new_job(s, request, why);
    push_job(s, job);
    if (why[0]) {
        fail_job(s, job, why);
        return;
    }
    int64_t now = monotonic_ms();
    job->deadline_ms = now + s->export_timeout_ms;
    job->next_attempt_ms = now;
    sender_step(s, false); /* starts it (or spools it when stopped) */
}

/* See http.h. */
void otlp_sender_set_aside(otlp_sender *s, const otlp_request *request, const char *why) {
    while (s->job_count >= s->max_in_flight) sender_step(s, true);
    otlp_job *job = xcalloc(1, sizeof *job);
    hold_body(s, job, request->body, request->storage);
    hold_tags(job, request);
    job->span_count = request->span_count;
    job->protocol = request->protocol;
    job->braintrust_parent = xstrdup(request->braintrust_parent ? request->braintrust_parent
                                                                : s->braintrust_parent);
    job->spool_id = request->spool_id;
    push_job(s, job);
    fail_job(s, job, why);
}

/* See http.h. */
void otlp_sender_on_outcome(otlp_sender *s, export_outcome_fn fn, void *ctx) {
    s->on_outcome = fn;
    s->outcome_ctx = ctx;
}

/* See http.h. */
void otlp_sender_drain(otlp_sender *s) {
    while (s->job_count > 0) sender_step(s, true);
}

/* See http.h. */
bool otlp_sender_stopped(const otlp_sender *s) { return s->stopped || exporter_interrupted(); }

/* See http.h. */
void otlp_sender_tally(const otlp_sender *s, export_report *report, export_details *details) {
    report->spans_exported += s->report.spans_exported;
    report->spans_failed += s->report.spans_failed;
    details->spans_spooled += s->details.spans_spooled;
    details->spans_rejected += s->details.spans_rejected;
    if (s->interrupted) details->interrupted = 1;
    if (s->details.spans_spooled) details->store_url = s->store_shown;
}

/* See http.h. */
const char *otlp_sender_braintrust_parent(const otlp_sender *s) { return s->braintrust_parent; }

/* See http.h. */
const char *otlp_sender_first_failure(const otlp_sender *s) { return s->first_failure; }


/* See http.h. */
void otlp_sender_free(otlp_sender *s) {
    if (!s) return;
    while (s->job_count > 0) {
        otlp_job *job = s->jobs[s->job_count - 1];
        end_transfer(s, job);
        /* Not drained: the family's row stays whole (its lease runs out). */
        if (job->family && --job->family->pending == 0) family_free(job->family);
        drop_job(s, job);
    }
    curl_multi_cleanup(s->multi);
    exporter_watch_interrupts(0);
    for (size_t i = 0; i < s->header_count; i++) free(s->header_lines[i]);
    free(s->header_lines);
    free(s->url);
    free(s->shown_url);
    free(s->braintrust_parent);
    free(s->store_url);
    free(s->store_shown);
    buf_free(&s->spare);
    store_close(s->store);
    free(s->jobs);
    free(s);
}

/* ---- the otlp exporter's transport ----------------------------------------------- */

/* The transport's data. */
typedef struct otlp_transport {
    otlp_sender *sender;      /* owned */
    otlp_protocol protocol;   /* how the exporter encodes */
    exporter_t *exporter;     /* the exporter over this transport, told the outcomes */
} otlp_transport;

/* The sender's outcome callback: pass it on to the exporter's. */
static void otlp_outcome(void *opaque, const uint64_t *tags, size_t count,
                         export_outcome outcome) {
    otlp_transport *t = opaque;
    exporter_report_outcome(t->exporter, tags, count, outcome);
}

/* Hand a full request to the sender: it takes charge (delivered or spooled). */
static int otlp_deliver(void *opaque, bt_str request, buf_t *storage, size_t span_count,
                        const uint64_t *tags, size_t tag_count, char *reason) {
    otlp_transport *t = opaque;
    otlp_request sent = {request, span_count, t->protocol, NULL, 0, storage, tags, tag_count};
    otlp_sender_submit(t->sender, &sent);
    return 0;
}

/* Spool a request that must not be sent. */
static int otlp_set_aside(void *opaque, bt_str request, size_t span_count, const char *why,
                          const uint64_t *tags, size_t tag_count, char *reason) {
    otlp_transport *t = opaque;
    otlp_request kept = {request, span_count, t->protocol, NULL, 0, NULL, tags, tag_count};
    otlp_sender_set_aside(t->sender, &kept, why);
    return 0;
}

/* Send a request the spool holds (the sender deletes or releases its row). */
static void otlp_send_spooled(void *opaque, bt_str request, size_t span_count,
                              int64_t spool_id) {
    otlp_transport *t = opaque;
    otlp_request sent = {request, span_count, t->protocol, NULL, spool_id, NULL, NULL, 0};
    otlp_sender_submit(t->sender, &sent);
}

/* The configured x-bt-parent. */
static const char *otlp_braintrust_parent(void *opaque) {
    otlp_transport *t = opaque;
    return otlp_sender_braintrust_parent(t->sender);
}

/* Wait for every request; say what waits in the spool. -1 with the first failure when a
 * request was not delivered or spans were rejected. */
static int otlp_close(void *opaque, char *reason) {
    otlp_transport *t = opaque;
    otlp_sender_drain(t->sender);
    export_report report;
    export_details details;
    memset(&report, 0, sizeof report);
    memset(&details, 0, sizeof details);
    otlp_sender_tally(t->sender, &report, &details);
    if (details.spans_spooled > 0)
        notice(t->sender, "%" PRIu64 " span%s wait%s in the spool: send them with `batchtrace "
                          "flush` (store %s)",
               details.spans_spooled, plural(details.spans_spooled),
               details.spans_spooled == 1 ? "s" : "", details.store_url);
    const char *first = otlp_sender_first_failure(t->sender);
    return first[0] ? fail(reason, "%s", first) : 0;
}

/* Add the sender's outcomes to the report and details. */
static void otlp_tally(void *opaque, export_report *report, export_details *details) {
    otlp_transport *t = opaque;
    otlp_sender_tally(t->sender, report, details);
}

/* Release the transport. */
static void otlp_free(void *opaque) {
    otlp_transport *t = opaque;
    otlp_sender_free(t->sender);
    free(t);
}

/* Move the sender's transfers along while the exporter fills the next request. */
static void otlp_pump(void *opaque) {
    otlp_transport *t = opaque;
    otlp_sender_pump(t->sender);
}

static const exporter_ops otlp_ops = {
    .pump = otlp_pump,
    .deliver = otlp_deliver,
    .set_aside = otlp_set_aside,
    .send_spooled = otlp_send_spooled,
    .braintrust_parent = otlp_braintrust_parent,
    .tally = otlp_tally,
    .format_span = NULL,
    .write_text = NULL,
    .close = otlp_close,
    .free = otlp_free,
};

/* See exporter.h: the sender is set up now (header lines checked); nothing is sent until
 * the first request fills. */
exporter_t *exporter_otlp_new(const otlp_config *config, const span_resource *resource,
                              char *reason) {
    otlp_sender *sender = otlp_sender_new(config, reason);
    if (!sender) return NULL;
    otlp_transport *t = xcalloc(1, sizeof *t);
    t->sender = sender;
    t->protocol = config->protocol;
    bool json = config->protocol == OTLP_HTTP_JSON;
    exporter_t *exporter = exporter_create(&otlp_ops, t,
                                           json ? EXPORT_ENCODING_JSON : EXPORT_ENCODING_PROTOBUF,
                                           resource);
    exporter_set_request_limit(exporter, config->max_request_bytes
                                             ? config->max_request_bytes
                                             : OTLP_DEFAULT_MAX_REQUEST_BYTES);
    t->exporter = exporter;
    otlp_sender_on_outcome(sender, otlp_outcome, t);
    return exporter;
}
