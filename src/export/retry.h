/* When to send an OTLP request again, and after how long: the one place that decides.
 * Pure functions, no I/O, so the policy is tested on its own.
 *
 * The policy (OTLP specification, "Retryable response codes"): 429, 502, 503 and 504 and
 * transport failures (refused, reset, timed out, nothing answered) are worth another try;
 * 2xx is accepted; every other status (400, 401, 403, 413, ...) is final. Waits grow
 * exponentially with full jitter (a random wait between 0 and the ceiling), unless the
 * server said how long with Retry-After. */
#ifndef BT_EXPORT_RETRY_H
#define BT_EXPORT_RETRY_H

#include <stdint.h>

/* What to do with a request after an attempt. */
typedef enum retry_verdict {
    RETRY_ACCEPTED,  /* the server took it: never send it again */
    RETRY_AGAIN,     /* a transient failure: try again while time allows */
    RETRY_NEVER,     /* a final refusal (or a local fault no retry can fix) */
} retry_verdict;

/* Classify an attempt: http_status is the answer's status, or 0 when no answer came, and
 * then curl_code (a CURLcode) says what went wrong. */
retry_verdict retry_classify(long http_status, int curl_code);

/* The first ceiling and the largest ceiling of the backoff, from the export timeout: the
 * ceiling starts at 1/60 of it (0.5 s for the default 30 s) and doubles up to 1/6 of it
 * (5 s), so any timeout leaves room for several attempts. */
void retry_schedule(int64_t export_timeout_ms, int64_t *base_ms, int64_t *cap_ms);

/* The wait before retry number attempt (1 for the first retry): uniform in
 * [0, min(cap_ms, base_ms * 2^(attempt-1))], drawn from random (any 64-bit value). */
int64_t retry_backoff_ms(unsigned attempt, int64_t base_ms, int64_t cap_ms, uint64_t random);

/* A Retry-After value (delay-seconds, or an HTTP-date in IMF-fixdate, RFC 850 or asctime
 * form) as a wait in milliseconds from now_s (unix seconds); a date in the past gives 0.
 * 0, or -1 when the value is neither. */
int retry_after_parse(const char *value, int64_t now_s, int64_t *delay_ms);

/* The next number of a xorshift64* generator (state must not be 0). */
uint64_t retry_random(uint64_t *state);

#endif
