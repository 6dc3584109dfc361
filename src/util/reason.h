/* Why something failed, in words for a person: functions that can reject input take a
 * `char reason[REASON_MAX]` and fill it before returning -1. */
#ifndef BT_UTIL_REASON_H
#define BT_UTIL_REASON_H

#include <stdarg.h>

#define REASON_MAX 256

/* Format into reason (truncated to REASON_MAX with "..."), return -1 for `return fail(...)`. */
int fail(char *reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
