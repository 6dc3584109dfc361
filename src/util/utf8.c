/* UTF-8 validation (declared in json/json.h, where both the reader and the writer use it).
 * Well-formed sequences are those of the Unicode Standard's table 3-7: no overlong forms, no
 * encoded surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequences. */
#include "json/json.h"

#include <stdint.h>
#include <string.h>

/* True when the 8 bytes at p are all ASCII (p need not be aligned). */
static inline bool word_is_ascii(const unsigned char *p) {
    uint64_t word;
    memcpy(&word, p, sizeof word);
    return (word & UINT64_C(0x8080808080808080)) == 0;
}

/* Length of the well-formed multi-byte sequence starting at p (p[0] >= 0x80), given avail
 * bytes from p on; 0 when no well-formed sequence starts there. */
static size_t sequence_length(const unsigned char *p, size_t avail) {
    unsigned char lead = p[0];
    unsigned char second_min = 0x80, second_max = 0xBF; /* the second byte's allowed range */
    size_t length;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) second_min = 0xA0;      /* below is overlong */
        else if (lead == 0xED) second_max = 0x9F; /* above is a surrogate */
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) second_min = 0x90;      /* below is overlong */
        else if (lead == 0xF4) second_max = 0x8F; /* above is past U+10FFFF */
    } else {
        return 0; /* a continuation byte, an overlong lead (C0, C1) or F5..FF */
    }
    if (avail < length) return 0;
    if (p[1] < second_min || p[1] > second_max) return 0;
    for (size_t i = 2; i < length; i++)
        if ((p[i] & 0xC0) != 0x80) return 0;
    return length;
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
        size_t length = sequence_length(p + i, len - i);
        if (length == 0) {
            if (bad_offset) *bad_offset = i;
            return false;
        }
        i += length;
    }
    return true;
}
