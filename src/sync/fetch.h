/* GET requests to a provider's API for `batchtrace sync` (libcurl): small answers (list
 * pages, batch objects) read whole, and file downloads streamed into unnamed temporary
 * files that collect reads in place, so no file is held in memory or written under a name.
 *
 * Both retry what is worth retrying (429, 500, 502, 503, 504, 529 and transport failures:
 * refused, reset, timed out), honouring Retry-After, with the backoff of export/retry.h.
 * A download cut short (a connection reset mid-file) is asked for again and the bytes
 * already received are skipped, so collect sees each byte once.
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

/* One file download: a thread of its own GETs the file (retrying as sync_get does) into an
 * unnamed temporary file from the moment it is started, so the files of a batch download
 * at once; once it is whole, collect opens it by a path of that file (sync_download_path)
 * and reads it in place, as a file on disk: no copy of it is made, none is held in memory. */
typedef struct sync_download sync_download;

/* Start downloading url; name (the file's id) names its temporary file in messages. Never
 * NULL: a download that cannot start has failed (sync_download_wait says why). */
sync_download *sync_download_start(const sync_api *api, const char *url, const char *name);
/* Wait until the download ended, passing its retry notices on to api->on_notice (on the
 * caller's thread) as they come. 0 when the file is whole; -1 with reason (REASON_MAX
 * bytes) when it failed for good. */
int sync_download_wait(sync_download *download, char *reason);
/* A path that opens the downloaded file ("/dev/fd/N"), while the download is not freed. */
const char *sync_download_path(const sync_download *download);
/* Stop the download when it still runs, and free it with its file (NULL-safe). */
void sync_download_free(sync_download *download);

#endif
