#include "proxy/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "json/writer.h"
#include "util/buf.h"

static bool log_json;                 /* --json */
static bool log_quiet;                /* --quiet: warnings and errors only */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER; /* one line at a time */

/* See log.h. */
void proxy_log_setup(bool json, bool quiet) {
    log_json = json;
    log_quiet = quiet;
}

/* The level's word. */
static const char *level_name(proxy_level level) {
    switch (level) {
    case PROXY_INFO: return "info";
    case PROXY_WARNING: return "warning";
    case PROXY_ERROR: return "error";
    }
    return "info";
}

/* A key and string value, when the value is there. */
static void field(jw_t *w, const char *key, const char *value) {
    if (!value) return;
    jw_key(w, key);
    jw_cstring(w, value);
}

/* See log.h. */
void proxy_log(const proxy_event *event, const char *fmt, ...) {
    if (log_quiet && event->level == PROXY_INFO) return;
    buf_t message = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&message, fmt, ap);
    va_end(ap);
    buf_t line = BUF_INIT;
    if (log_json) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        struct tm tm;
        gmtime_r(&now.tv_sec, &tm);
        char stamp[80];
        snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 (int)(now.tv_nsec / 1000000));
        jw_t w;
        jw_init(&w, &line);
        jw_object_open(&w);
        field(&w, "time", stamp);
        field(&w, "level", level_name(event->level));
        field(&w, "event", event->event);
        field(&w, "provider", event->provider);
        field(&w, "batch_id", event->batch_id);
        field(&w, "path", event->path);
        field(&w, "message", buf_cstr(&message));
        jw_object_close(&w);
    } else {
        buf_printf(&line, "batchtrace proxy: %s%s", event->level == PROXY_ERROR ? "error: "
                   : event->level == PROXY_WARNING ? "warning: " : "", buf_cstr(&message));
    }
    pthread_mutex_lock(&log_lock);
    fprintf(stderr, "%s\n", buf_cstr(&line));
    fflush(stderr);
    pthread_mutex_unlock(&log_lock);
    buf_free(&line);
    buf_free(&message);
}
