/* GET requests to a provider's API for `batchtrace sync` (libcurl): small answers (list
 * pages, batch objects) read whole, and file downloads streamed, as a callback source
 * (batchtrace_read_fn), into collect, so no file is held in memory or written under a name.
 *
 * Both retry what is worth retrying (429, 500, 502, 503, 504, 529 and transport failures:
 * refused, reset, timed out), honouring Retry-After, with the backoff of export/retry.h.
 * A download cut short (a connection reset mid-file) is asked for again and the bytes
 * already handed to collect are skipped, so collect sees each byte once.
 *
 * The API key lives only in the header lines of sync_api; no message, URL or diagnostic
 * carries it (a provider's error text that echoes it is scrubbed). */
#ifndef BT_SYNC_FETCH_H
#define BT_SYNC_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/reason.h"

/* How to reach one provider's API. */
typedef struct sync_api {
    const char *auth_header;       /* "Authorization: Bearer KEY" or "x-api-key: KEY": secret */
    const char *key;               /* the key alone, to scrub from any text shown */
    const char *version_header;    /* "anthropic-version: 2023-06-01", or NULL */
    unsigned max_attempts;         /* tries per request, at least 1 */
    int64_t max_wait_ms;           /* longest wait a Retry-After may ask for */
    int64_t timeout_ms;            /* one small request's timeout (downloads: none) */
    void (*on_notice)(void *ctx, const char *text); /* retries, for a person; may be NULL */
    void *notice_ctx;
} sync_api;

/* GET url and keep its body (up to max_bytes) in body. 0 on a 2xx answer; -1 with reason
 * (the status or transport error, the redacted URL and the provider's message) once the
 * retries are spent or the answer is final; *status holds the last HTTP status (0: none). */
int sync_get(const sync_api *api, const char *url, size_t max_bytes, buf_t *body, long *status,
             char *reason);

/* One file download, read by pulling pieces of whole lines (sync_download_read). */
typedef struct sync_download sync_download;

/* A download of url (not started until the first read). */
sync_download *sync_download_new(const sync_api *api, const char *url);
/* A batchtrace_read_fn over a sync_download: the next whole lines, 0 at the end, -1 when
 * the download failed for good (sync_download_error says why). */
int sync_download_read(void *download, const char **bytes, size_t *len);
/* Why the download failed, or "" when it did not. */
const char *sync_download_error(const sync_download *download);
/* Bytes handed out so far. */
uint64_t sync_download_bytes(const sync_download *download);
/* Free a download (NULL-safe). */
void sync_download_free(sync_download *download);

#endif
