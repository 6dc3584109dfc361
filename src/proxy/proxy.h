/* `batchtrace proxy` (docs/design.md "The proxy"): an HTTP listener (libmicrohttpd) that
 * forwards every request to the provider's API (libcurl) byte for byte and taps the batch
 * calls on the way: the uploads and creates start a batch (batchtrace_start), the batch
 * objects and result downloads collect it (batchtrace_collect), through the store, so
 * exactly once holds with sync, the bindings and manual collects on the same store. */
#ifndef BT_PROXY_PROXY_H
#define BT_PROXY_PROXY_H

#include <stdbool.h>

#include "batchtrace.h"

/* What to listen on, where to forward, and how spans are exported. */
typedef struct proxy_options {
    const char *listen;                /* "HOST:PORT" (IPv4 address; port 0: any free one) */
    const char *upstream;              /* every path's upstream base URL, or NULL */
    const char *openai_upstream;       /* the OpenAI paths' base URL, or NULL: upstream */
    const char *anthropic_upstream;    /* /v1/messages...: base URL, or NULL: upstream */
    const batchtrace_collect_options *collect; /* export settings, store, conventions of
                                          every start and collect (files and context are
                                          the proxy's) */
    bool json_logs;                    /* one JSON object per log line */
    bool quiet;                        /* only warnings and errors */
} proxy_options;

/* Run the proxy until SIGTERM or SIGINT: then stop listening, let the requests under way
 * end, finish the tracing work queued (what cannot be delivered is spooled in the store)
 * and return the exit code (0; 1 with reason when the listener or the store cannot be
 * used; 2 for a bad option). */
int proxy_run(const proxy_options *options, char *reason);

#endif
