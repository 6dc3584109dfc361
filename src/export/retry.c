/* The retry policy (see retry.h). */
#include "export/retry.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <string.h>

/* See retry.h: the statuses the OTLP specification calls retryable, and the transport
 * failures that say nothing about the request itself. */
retry_verdict retry_classify(long http_status, int curl_code) {
    if (http_status >= 200 && http_status < 300) return RETRY_ACCEPTED;
    switch (http_status) {
    case 429: /* Too Many Requests */
    case 502: /* Bad Gateway */
    case 503: /* Service Unavailable */
    case 504: /* Gateway Timeout */
        return RETRY_AGAIN;
    case 0:
        break; /* no answer: the transport error decides */
    default:
        return RETRY_NEVER;
    }
    switch ((CURLcode)curl_code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return RETRY_AGAIN;
    default:
        return RETRY_NEVER; /* a bad URL, a certificate refused, ...: no retry helps */
    }
}

/* See retry.h. */
void retry_schedule(int64_t export_timeout_ms, int64_t *base_ms, int64_t *cap_ms) {
    *base_ms = export_timeout_ms / 60;
    if (*base_ms < 1) *base_ms = 1;
    *cap_ms = export_timeout_ms / 6;
    if (*cap_ms < *base_ms) *cap_ms = *base_ms;
}

/* See retry.h. */
int64_t retry_backoff_ms(unsigned attempt, int64_t base_ms, int64_t cap_ms, uint64_t random) {
    int64_t ceiling = base_ms;
    for (unsigned i = 1; i < attempt && ceiling < cap_ms; i++) ceiling *= 2;
    if (ceiling > cap_ms) ceiling = cap_ms;
    if (ceiling <= 0) return 0;
    return (int64_t)(random % ((uint64_t)ceiling + 1));
}

/* See retry.h (Vigna's xorshift64*). */
uint64_t retry_random(uint64_t *state) {
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * UINT64_C(2685821657736338717);
}

/* Days from 1970-01-01 to year-month-day in the proleptic Gregorian calendar (the
 * era-based method: 400-year eras of 146097 days, years starting in March). */
static int64_t days_from_civil(int64_t year, unsigned month, unsigned day) {
    year -= month <= 2;
    int64_t era = (year >= 0 ? year : year - 399) / 400;
    unsigned year_of_era = (unsigned)(year - era * 400);
    unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + (int64_t)day_of_era - 719468;
}

/* Reads [at, end) of a date as it is parsed. */
typedef struct date_reader {
    const char *at;   /* next character */
    const char *end;  /* end of the value */
} date_reader;

/* Skip letters (a day name); true when at least min_len were there. */
static bool skip_letters(date_reader *r, size_t min_len) {
    const char *start = r->at;
    while (r->at < r->end && ((*r->at >= 'A' && *r->at <= 'Z') || (*r->at >= 'a' && *r->at <= 'z')))
        r->at++;
    return (size_t)(r->at - start) >= min_len;
}

/* Consume the character c; false when it is not next. */
static bool expect_char(date_reader *r, char c) {
    if (r->at >= r->end || *r->at != c) return false;
    r->at++;
    return true;
}

/* Read between min_digits and max_digits decimal digits into *out. */
static bool read_digits(date_reader *r, unsigned min_digits, unsigned max_digits,
                        unsigned *out) {
    unsigned value = 0, count = 0;
    while (r->at < r->end && count < max_digits && *r->at >= '0' && *r->at <= '9') {
        value = value * 10 + (unsigned)(*r->at++ - '0');
        count++;
    }
    *out = value;
    return count >= min_digits;
}

/* Read a three-letter English month name (as HTTP dates write it) into 1..12. */
static bool read_month(date_reader *r, unsigned *month) {
    static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    if (r->end - r->at < 3) return false;
    for (unsigned i = 0; i < 12; i++) {
        if (memcmp(r->at, names + 3 * i, 3) == 0) {
            *month = i + 1;
            r->at += 3;
            return true;
        }
    }
    return false;
}

/* Read "HH:MM:SS" into seconds of the day. */
static bool read_clock(date_reader *r, unsigned *seconds) {
    unsigned h, m, s;
    if (!read_digits(r, 2, 2, &h) || !expect_char(r, ':') || !read_digits(r, 2, 2, &m) ||
        !expect_char(r, ':') || !read_digits(r, 2, 2, &s) || h > 23 || m > 59 || s > 60)
        return false;
    *seconds = h * 3600 + m * 60 + s;
    return true;
}

/* Parse an HTTP-date (RFC 9110 section 5.6.7: IMF-fixdate, RFC 850 or asctime) into unix
 * seconds. */
static bool parse_http_date(const char *text, size_t len, int64_t *unix_s) {
    date_reader r = {text, text + len};
    unsigned day, month, year, clock;
    if (!skip_letters(&r, 3)) return false;
    if (expect_char(&r, ',')) {
        /* "Sun, 06 Nov 1994 08:49:37 GMT" or "Sunday, 06-Nov-94 08:49:37 GMT" */
        if (!expect_char(&r, ' ') || !read_digits(&r, 2, 2, &day)) return false;
        char separator = r.at < r.end ? *r.at : '\0';
        if ((separator != ' ' && separator != '-') || !expect_char(&r, separator) ||
            !read_month(&r, &month) || !expect_char(&r, separator))
            return false;
        if (separator == ' ') {
            if (!read_digits(&r, 4, 4, &year)) return false;
        } else {
            /* A two-digit year: RFC 9110 reads one more than 50 years ahead as the past. */
            if (!read_digits(&r, 2, 2, &year)) return false;
            year += year < 70 ? 2000 : 1900;
        }
        if (!expect_char(&r, ' ') || !read_clock(&r, &clock) || !expect_char(&r, ' ') ||
            r.end - r.at != 3 || memcmp(r.at, "GMT", 3) != 0)
            return false;
    } else {
        /* "Sun Nov  6 08:49:37 1994" */
        if (!expect_char(&r, ' ') || !read_month(&r, &month) || !expect_char(&r, ' ')) return false;
        expect_char(&r, ' '); /* a one-digit day is padded with a space */
        if (!read_digits(&r, 1, 2, &day) || !expect_char(&r, ' ') || !read_clock(&r, &clock) ||
            !expect_char(&r, ' ') || !read_digits(&r, 4, 4, &year) || r.at != r.end)
            return false;
    }
    if (day < 1 || day > 31) return false;
    *unix_s = days_from_civil(year, month, day) * 86400 + clock;
    return true;
}

/* See retry.h. */
int retry_after_parse(const char *value, int64_t now_s, int64_t *delay_ms) {
    size_t len = strlen(value);
    while (len && (value[len - 1] == ' ' || value[len - 1] == '\t')) len--;
    while (len && (*value == ' ' || *value == '\t')) value++, len--;
    if (len == 0) return -1;
    if (value[0] >= '0' && value[0] <= '9') {
        int64_t seconds = 0;
        for (size_t i = 0; i < len; i++) {
            if (value[i] < '0' || value[i] > '9') return -1;
            if (seconds < INT64_C(1000000000)) seconds = seconds * 10 + (value[i] - '0');
        }
        *delay_ms = seconds * 1000;
        return 0;
    }
    int64_t when_s;
    if (!parse_http_date(value, len, &when_s)) return -1;
    *delay_ms = when_s > now_s ? (when_s - now_s) * 1000 : 0;
    return 0;
}
