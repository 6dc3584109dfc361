/* The proxy's log: one line per event on stderr, for a person ("batchtrace proxy: ...") or,
 * with --json, one JSON object per line {"time", "level", "event", "provider", "batch_id",
 * "path", "message"}. Safe from any thread. Never given a header value: no key is logged. */
#ifndef BT_PROXY_LOG_H
#define BT_PROXY_LOG_H

#include <stdbool.h>

/* How severe a log line is. */
typedef enum proxy_level { PROXY_INFO, PROXY_WARNING, PROXY_ERROR } proxy_level;

/* One log line's fields; NULL ones are left out. */
typedef struct proxy_event {
    proxy_level level;
    const char *event;       /* a word: "listening", "upload", "submit", "status", "collect",
                                "untraced", "forward", "stopping", ... */
    const char *provider;
    const char *batch_id;
    const char *path;        /* the request path (query left out) */
} proxy_event;

/* Where and how lines go (set once, before any thread starts). */
void proxy_log_setup(bool json, bool quiet);
/* Write one line: the event's fields and the formatted message. */
void proxy_log(const proxy_event *event, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
