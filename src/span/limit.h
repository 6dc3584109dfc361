/* The attribute size limit (--max-attribute-bytes): one pass over a finished span that cuts
 * every string value longer than the limit and says so on the span. Nothing is cut silently:
 * a span that lost bytes carries batchtrace.truncated=true (docs/design.md, "Attribute size
 * limit"). */
#ifndef BT_SPAN_LIMIT_H
#define BT_SPAN_LIMIT_H

#include <stdbool.h>
#include <stddef.h>

#include "span/span.h"

/* The smallest limit accepted: room for a cut JSON document as a JSON string and some text. */
#define SPAN_LIMIT_MIN_BYTES 16

/* Cut every string attribute value (and every string of a string array) of span longer than
 * max_bytes (at least SPAN_LIMIT_MIN_BYTES):
 *   - a value that is a JSON object or array (it starts with '{' or '[' and parses) becomes a
 *     JSON string holding as much of its text as fits, so it stays valid JSON and its length
 *     with quotes and escapes is at most max_bytes;
 *   - any other string is cut at the last UTF-8 character boundary within max_bytes.
 * The cut values live in span->arena. Returns true when a value was cut; the span then also
 * gets batchtrace.truncated=true. */
bool span_limit_values(span_t *span, size_t max_bytes);

#endif
