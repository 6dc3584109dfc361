/* The retry policy: which answers are retried, the backoff with full jitter, and
 * Retry-After in seconds and as an HTTP date. */
#include <curl/curl.h>

#include "export/retry.h"
#include "test.h"

TEST(statuses_the_otlp_specification_calls_retryable) {
    CHECK_INT(retry_classify(200, CURLE_OK), RETRY_ACCEPTED);
    CHECK_INT(retry_classify(202, CURLE_OK), RETRY_ACCEPTED);
    long again[] = {429, 502, 503, 504};
    for (size_t i = 0; i < sizeof again / sizeof again[0]; i++)
        CHECK_INT(retry_classify(again[i], CURLE_OK), RETRY_AGAIN);
    long never[] = {400, 401, 403, 404, 408, 413, 500, 501, 301};
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
        CHECK_INT(retry_classify(never[i], CURLE_OK), RETRY_NEVER);
}

TEST(transport_failures_are_retried_unless_no_retry_can_help) {
    int again[] = {CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT, CURLE_GOT_NOTHING,
                   CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_COULDNT_RESOLVE_HOST};
    for (size_t i = 0; i < sizeof again / sizeof again[0]; i++)
        CHECK_INT(retry_classify(0, again[i]), RETRY_AGAIN);
    int never[] = {CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_PEER_FAILED_VERIFICATION};
    for (size_t i = 0; i < sizeof never / sizeof never[0]; i++)
        CHECK_INT(retry_classify(0, never[i]), RETRY_NEVER);
    /* An answer that came back decides, whatever happened to the rest of the body. */
    CHECK_INT(retry_classify(200, CURLE_RECV_ERROR), RETRY_ACCEPTED);
}

TEST(schedule_follows_the_export_timeout) {
    int64_t base, cap;
    retry_schedule(30000, &base, &cap);
    CHECK_INT(base, 500);
    CHECK_INT(cap, 5000);
    retry_schedule(30, &base, &cap);
    CHECK_INT(base, 1);
    CHECK_INT(cap, 5);
}

TEST(backoff_ceiling_doubles_up_to_the_cap) {
    /* random % (ceiling + 1): a random of ceiling gives the ceiling itself. */
    CHECK_INT(retry_backoff_ms(1, 500, 5000, 500), 500);
    CHECK_INT(retry_backoff_ms(2, 500, 5000, 1000), 1000);
    CHECK_INT(retry_backoff_ms(3, 500, 5000, 2000), 2000);
    CHECK_INT(retry_backoff_ms(4, 500, 5000, 4000), 4000);
    CHECK_INT(retry_backoff_ms(5, 500, 5000, 5000), 5000);
    CHECK_INT(retry_backoff_ms(60, 500, 5000, 5000), 5000);
    CHECK_INT(retry_backoff_ms(60, 500, 5000, 5001), 0);
    CHECK_INT(retry_backoff_ms(1, 500, 5000, 501), 0);
}

TEST(full_jitter_spreads_over_the_whole_range) {
    uint64_t state = 42;
    int64_t low = INT64_MAX, high = -1;
    for (int i = 0; i < 2000; i++) {
        int64_t wait = retry_backoff_ms(3, 100, 10000, retry_random(&state));
        if (wait < low) low = wait;
        if (wait > high) high = wait;
    }
    CHECK(low >= 0 && low < 20);     /* the ceiling is 400 */
    CHECK(high > 380 && high <= 400);
    CHECK(state != 0);
}

TEST(retry_after_in_seconds) {
    int64_t ms = -1;
    CHECK_INT(retry_after_parse("1", 0, &ms), 0);
    CHECK_INT(ms, 1000);
    CHECK_INT(retry_after_parse(" 120\t", 0, &ms), 0);
    CHECK_INT(ms, 120000);
    CHECK_INT(retry_after_parse("0", 0, &ms), 0);
    CHECK_INT(ms, 0);
    const char *bad[] = {"", " ", "1.5", "-1", "+3", "12a", "soon"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_INT(retry_after_parse(bad[i], 0, &ms), -1);
}

TEST(retry_after_as_an_http_date_in_all_three_forms) {
    const int64_t when = 784111777; /* 1994-11-06T08:49:37Z, RFC 9110's example */
    const char *forms[] = {"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
                           "Sun Nov  6 08:49:37 1994"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        int64_t ms = -1;
        CHECK_INT(retry_after_parse(forms[i], when - 10, &ms), 0);
        CHECK_INT(ms, 10000);
        CHECK_INT(retry_after_parse(forms[i], when + 5, &ms), 0);
        CHECK_INT(ms, 0); /* a date in the past: no wait */
    }
    int64_t ms;
    CHECK_INT(retry_after_parse("Thu, 01 Jan 2026 00:00:01 GMT", 1767225600, &ms), 0);
    CHECK_INT(ms, 1000);
    CHECK_INT(retry_after_parse("Sat, 29 Feb 2028 12:00:00 GMT", 1835438400 - 1, &ms), 0);
    CHECK_INT(ms, 1000);
    const char *bad[] = {"Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Nov 1994 08:49 GMT",
                         "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 32 Nov 1994 08:49:37 GMT",
                         "Sun, 06 Nov 1994 24:00:00 GMT", "Sun Nov  6 08:49:37 1994 extra",
                         "06 Nov 1994 08:49:37 GMT"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_INT(retry_after_parse(bad[i], 0, &ms), -1);
}

int main(void) {
    RUN(statuses_the_otlp_specification_calls_retryable);
    RUN(transport_failures_are_retried_unless_no_retry_can_help);
    RUN(schedule_follows_the_export_timeout);
    RUN(backoff_ceiling_doubles_up_to_the_cap);
    RUN(full_jitter_spreads_over_the_whole_range);
    RUN(retry_after_in_seconds);
    RUN(retry_after_as_an_http_date_in_all_three_forms);
    TEST_MAIN_END();
}
