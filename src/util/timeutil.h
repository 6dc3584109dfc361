/* Time: the clock, and the timestamp formats providers use. All times are unix nanoseconds
 * in an int64_t (0 means "not given"). */
#ifndef BT_UTIL_TIMEUTIL_H
#define BT_UTIL_TIMEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NS_PER_SEC INT64_C(1000000000)

/* The wall clock now. */
int64_t time_now_ns(void);
/* Parse an RFC 3339 timestamp ("2024-09-24T18:37:24.100435Z", "...+02:00"); -1 on error. */
int time_parse_rfc3339(const char *s, size_t len, int64_t *out_ns);
/* Unix seconds to nanoseconds; -1 when out of range (negative or past year 2262). */
int time_from_unix_seconds(int64_t seconds, int64_t *out_ns);
/* Format ns as RFC 3339 UTC with milliseconds into out (at least 32 bytes). */
void time_format_rfc3339(int64_t ns, char *out, size_t out_size);

#endif
