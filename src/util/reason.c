#include "util/reason.h"

#include <stdio.h>
#include <string.h>

int fail(char *reason, const char *fmt, ...) {
    if (!reason) return -1;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(reason, REASON_MAX, fmt, ap);
    va_end(ap);
    if (n >= REASON_MAX) memcpy(reason + REASON_MAX - 4, "...", 4);
    return -1;
}
