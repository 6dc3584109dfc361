#include "util/timeutil.h"

#include <stdio.h>
#include <time.h>

int64_t time_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* Read exactly n decimal digits at s[*pos]; -1 if not digits. */
static int read_digits(const char *s, size_t len, size_t *pos, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (*pos >= len || s[*pos] < '0' || s[*pos] > '9') return -1;
        v = v * 10 + (s[(*pos)++] - '0');
    }
    *out = v;
    return 0;
}

/* Expect character c at s[*pos]. */
static int expect(const char *s, size_t len, size_t *pos, char c) {
    if (*pos >= len || s[*pos] != c) return -1;
    (*pos)++;
    return 0;
}

int time_parse_rfc3339(const char *s, size_t len, int64_t *out_ns) {
    size_t pos = 0;
    int year, mon, day, hour, min, sec;
    if (read_digits(s, len, &pos, 4, &year) || expect(s, len, &pos, '-') ||
        read_digits(s, len, &pos, 2, &mon) || expect(s, len, &pos, '-') ||
        read_digits(s, len, &pos, 2, &day))
        return -1;
    if (pos >= len || (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ')) return -1;
    pos++;
    if (read_digits(s, len, &pos, 2, &hour) || expect(s, len, &pos, ':') ||
        read_digits(s, len, &pos, 2, &min) || expect(s, len, &pos, ':') ||
        read_digits(s, len, &pos, 2, &sec))
        return -1;
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
        return -1;
    int64_t frac_ns = 0;
    if (pos < len && s[pos] == '.') {
        pos++;
        int digits = 0;
        while (pos < len && s[pos] >= '0' && s[pos] <= '9') {
            if (digits < 9) frac_ns = frac_ns * 10 + (s[pos] - '0');
            digits++;
            pos++;
        }
        if (digits == 0) return -1;
        for (int i = digits; i < 9; i++) frac_ns *= 10;
    }
    int64_t offset_sec = 0;
    if (pos < len && (s[pos] == 'Z' || s[pos] == 'z')) {
        pos++;
    } else if (pos < len && (s[pos] == '+' || s[pos] == '-')) {
        int sign = s[pos] == '-' ? -1 : 1, oh, om;
        pos++;
        if (read_digits(s, len, &pos, 2, &oh) || expect(s, len, &pos, ':') ||
            read_digits(s, len, &pos, 2, &om) || oh > 23 || om > 59)
            return -1;
        offset_sec = sign * (oh * 3600 + om * 60);
    } else {
        return -1;
    }
    if (pos != len) return -1;
    int64_t days = days_from_civil(year, (unsigned)mon, (unsigned)day);
    int64_t seconds = days * 86400 + hour * 3600 + min * 60 + sec - offset_sec;
    if (seconds < 0 || seconds > INT64_MAX / NS_PER_SEC - 1) return -1;
    *out_ns = seconds * NS_PER_SEC + frac_ns;
    return 0;
}

int time_from_unix_seconds(int64_t seconds, int64_t *out_ns) {
    if (seconds < 0 || seconds > INT64_MAX / NS_PER_SEC - 1) return -1;
    *out_ns = seconds * NS_PER_SEC;
    return 0;
}

void time_format_rfc3339(int64_t ns, char *out, size_t out_size) {
    time_t seconds = (time_t)(ns / NS_PER_SEC);
    struct tm tm;
    gmtime_r(&seconds, &tm);
    snprintf(out, out_size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(ns % NS_PER_SEC / 1000000));
}
