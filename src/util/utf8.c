/* UTF-8 validation (declared in json/json.h, where both the reader and the writer use it);
 * what a well-formed sequence is: util/utf8.h. */
#include "json/json.h"
#include "json/swar.h"
#include "util/utf8.h"

#include <stdint.h>
#include <string.h>

/* The offset of the first byte >= 0x80 in p[0..len), or len when all are ASCII: 32 bytes a
 * step with SSE2 (every x86-64 has it), then words of eight, then single bytes. */
static inline size_t first_non_ascii(const unsigned char *p, size_t len) {
    size_t i = 0;
#ifdef __SSE2__
    for (; len - i >= 32; i += 32) {
        __m128i low = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        __m128i high = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 16));
        if (!_mm_movemask_epi8(_mm_or_si128(low, high))) continue;
        unsigned mask = (unsigned)_mm_movemask_epi8(low) |
                        (unsigned)_mm_movemask_epi8(high) << 16;
        return i + (unsigned)__builtin_ctz(mask);
    }
#endif
    for (; len - i >= 8; i += 8) {
        uint64_t highs = swar_load((const char *)p + i) & SWAR_HIGHS;
        if (highs) return i + swar_first_flagged(highs);
    }
    for (; i < len; i++)
        if (p[i] >= 0x80) return i;
    return len;
}

/* See json.h. Runs of ASCII are skipped a block at a time, so the cost is in the non-ASCII
 * characters; bad_offset may be NULL. The bad offset is where the first ill-formed sequence
 * starts (the E2 of a truncated E2 82). */
bool utf8_valid(const char *bytes, size_t len, size_t *bad_offset) {
    const unsigned char *p = (const unsigned char *)bytes;
    size_t i = 0;
    for (;;) {
        i += first_non_ascii(p + i, len - i);
        if (i == len) return true;
        size_t length = utf8_sequence_length(p + i, len - i);
        if (length == 0) {
            if (bad_offset) *bad_offset = i;
            return false;
        }
        i += length;
    }
}
