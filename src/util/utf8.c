/* UTF-8 validation (declared in json/json.h, where both the reader and the writer use it);
 * what a well-formed sequence is: util/utf8.h. */
#include "json/json.h"
#include "util/utf8.h"

#include <stdint.h>
#include <string.h>

/* True when the 8 bytes at p are all ASCII (p need not be aligned). */
static inline bool word_is_ascii(const unsigned char *p) {
    uint64_t word;
    memcpy(&word, p, sizeof word);
    return (word & UINT64_C(0x8080808080808080)) == 0;
}

/* See json.h. ASCII is checked eight bytes at a time; bad_offset may be NULL. The bad
 * offset is where the first ill-formed sequence starts (the E2 of a truncated E2 82). */
bool utf8_valid(const char *bytes, size_t len, size_t *bad_offset) {
    const unsigned char *p = (const unsigned char *)bytes;
    size_t i = 0;
    while (i < len) {
        if (len - i >= 8 && word_is_ascii(p + i)) {
            i += 8;
            continue;
        }
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        size_t length = utf8_sequence_length(p + i, len - i);
        if (length == 0) {
            if (bad_offset) *bad_offset = i;
            return false;
        }
        i += length;
    }
    return true;
}
