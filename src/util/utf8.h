/* UTF-8 sequence checks shared by the JSON reader's tokenizer, utf8_valid and the writer's
 * escaper, inline because they run once per non-ASCII character of every document.
 * Well-formed sequences are those of the Unicode Standard's table 3-7: no overlong forms,
 * no encoded surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequences. */
#ifndef BT_UTIL_UTF8_H
#define BT_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the well-formed multi-byte sequence starting at p (p[0] >= 0x80), given avail
 * bytes from p on; 0 when no well-formed sequence starts there. */
static inline size_t utf8_sequence_length(const unsigned char *p, size_t avail) {
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

/* The implementations of utf8_valid (json/json.h), narrowest first: SCALAR checks sequence
 * by sequence (every machine); SSSE3 and AVX2 check 16 or 32 bytes a step (x86-64 only,
 * chosen at run time from what the processor supports). All give the same answers. */
typedef enum utf8_impl {
    UTF8_IMPL_SCALAR,
    UTF8_IMPL_SSSE3,
    UTF8_IMPL_AVX2,
} utf8_impl;

/* The widest implementation this processor supports. */
utf8_impl utf8_impl_widest(void);

/* Make utf8_valid use impl (for tests, which compare every implementation with SCALAR;
 * not thread-safe: call it before any thread uses utf8_valid). False, and nothing changed,
 * when the processor lacks it. */
bool utf8_impl_set(utf8_impl impl);

#endif
