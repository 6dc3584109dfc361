/* Eight bytes at a time (sixteen with SSE2, which every x86-64 has): the word tricks the
 * JSON reader and writer share to skip runs of bytes that need no attention inside
 * strings. */
#ifndef BT_JSON_SWAR_H
#define BT_JSON_SWAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define SWAR_ONES UINT64_C(0x0101010101010101)
#define SWAR_HIGHS UINT64_C(0x8080808080808080)

/* The 8 bytes at p as one word (any alignment). */
static inline uint64_t swar_load(const char *p) {
    uint64_t word;
    memcpy(&word, p, sizeof word);
    return word;
}

/* A word whose byte i has its high bit set when byte i of word is a '"', a '\\' or a control
 * character (< 0x20): the bytes a JSON string must escape or a scanner must look at. (Bytes
 * >= 0x80 may set stray bits too; callers treat them as "look closer", never as "safe".) */
static inline uint64_t swar_string_specials(uint64_t word) {
    uint64_t quotes = word ^ (SWAR_ONES * '"'), backslashes = word ^ (SWAR_ONES * '\\');
    uint64_t below_space = (word - SWAR_ONES * 0x20) & ~word;
    uint64_t quote_bytes = (quotes - SWAR_ONES) & ~quotes;
    uint64_t backslash_bytes = (backslashes - SWAR_ONES) & ~backslashes;
    return (below_space | quote_bytes | backslash_bytes) & SWAR_HIGHS;
}

/* The index (0..7), in memory order, of the first byte of a loaded word whose high bit is
 * set in flags (flags != 0). Every byte swar_string_specials looks for is flagged; a stray
 * flag may sit next to a real one (on little-endian machines only after it), so a caller
 * re-checks the byte found and steps over it when it is plain. */
static inline unsigned swar_first_flagged(uint64_t flags) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return (unsigned)__builtin_clzll(flags) / 8;
#else
    return (unsigned)__builtin_ctzll(flags) / 8;
#endif
}

/* The offset of the first byte of p[0..len) that may be a '"', a '\\', a control character
 * (< 0x20) or non-ASCII (>= 0x80), or len when there is none: where a string scanner or
 * escaper must look closer (it steps over a plain byte found here, see swar_first_flagged).
 * Sixteen bytes per step with SSE2, eight without. */
static inline size_t swar_find_special(const char *p, size_t len) {
    size_t i = 0;
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    for (; len - i >= 16; i += 16) {
        __m128i bytes = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        /* signed: bytes >= 0x80 are negative, so "below 0x20" catches them too */
        __m128i special = _mm_or_si128(_mm_cmplt_epi8(bytes, space),
                                       _mm_or_si128(_mm_cmpeq_epi8(bytes, quote),
                                                    _mm_cmpeq_epi8(bytes, backslash)));
        unsigned mask = (unsigned)_mm_movemask_epi8(special);
        if (mask) return i + (unsigned)__builtin_ctz(mask);
    }
#endif
    for (; len - i >= 8; i += 8) {
        uint64_t word = swar_load(p + i);
        uint64_t flags = swar_string_specials(word) | (word & SWAR_HIGHS);
        if (flags) return i + swar_first_flagged(flags);
    }
    for (; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') return i;
    }
    return len;
}

/* The offset of the first byte of p[0..len) that may be a '"', a '\\' or a control character
 * (< 0x20), or len when there is none; non-ASCII bytes (>= 0x80) do not stop the scan, but
 * *high is set when any byte looked at, up to a chunk past the offset returned, may be one
 * (the caller then validates the UTF-8 of what it scanned in one go). A plain or non-ASCII
 * byte may be returned next to a special one (see swar_first_flagged); the caller steps over
 * it. Sixteen bytes per step with SSE2, eight without. */
static inline size_t swar_find_string_stop(const char *p, size_t len, bool *high) {
    size_t i = 0;
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
    const __m128i last_control = _mm_set1_epi8(0x1F);
    __m128i seen = _mm_setzero_si128();
    for (; len - i >= 16; i += 16) {
        __m128i bytes = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        seen = _mm_or_si128(seen, bytes);
        /* unsigned bytes <= 0x1F: the minimum with 0x1F is the byte itself */
        __m128i special = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(bytes, last_control), bytes),
                                       _mm_or_si128(_mm_cmpeq_epi8(bytes, quote),
                                                    _mm_cmpeq_epi8(bytes, backslash)));
        unsigned mask = (unsigned)_mm_movemask_epi8(special);
        if (mask) {
            if (_mm_movemask_epi8(seen)) *high = true;
            return i + (unsigned)__builtin_ctz(mask);
        }
    }
    if (_mm_movemask_epi8(seen)) *high = true;
#endif
    for (; len - i >= 8; i += 8) {
        uint64_t word = swar_load(p + i);
        if (word & SWAR_HIGHS) *high = true;
        uint64_t flags = swar_string_specials(word);
        if (flags) return i + swar_first_flagged(flags);
    }
    for (; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x80) *high = true;
        else if (c < 0x20 || c == '"' || c == '\\') return i;
    }
    return len;
}

/* The bytes swar_copy_find_special copies and examines per call: 16 with SSE2, 8 without. */
#ifdef __SSE2__
#define SWAR_CHUNK 16
#else
#define SWAR_CHUNK 8
#endif

/* Copy the 8 bytes at src to dst (any alignment, not overlapping) and return the index of
 * the first that may be a '"', a '\\', a control character (< 0x20) or non-ASCII (>= 0x80),
 * or 8 when there is none; a plain byte may be flagged as in swar_find_special (the caller
 * copies it as it is). Plain word arithmetic: the portable escaper's step on every machine. */
static inline unsigned swar_copy_find_special_word(char *dst, const char *src) {
    uint64_t word = swar_load(src);
    memcpy(dst, &word, sizeof word);
    uint64_t flags = swar_string_specials(word) | (word & SWAR_HIGHS);
    return flags ? swar_first_flagged(flags) : 8;
}

/* Copy the SWAR_CHUNK bytes at src to dst (both that long, any alignment, not
 * overlapping) and return the index of the first that may be a '"', a '\\', a control
 * character (< 0x20) or non-ASCII (>= 0x80), or SWAR_CHUNK when there is none. With SSE2
 * the index is exact; without it, a plain byte may be flagged as in swar_find_special, and
 * the caller copies it as it is. */
static inline unsigned swar_copy_find_special(char *dst, const char *src) {
#ifdef __SSE2__
    __m128i bytes = _mm_loadu_si128((const __m128i *)(const void *)src);
    _mm_storeu_si128((__m128i *)(void *)dst, bytes);
    /* signed: bytes >= 0x80 are negative, so "below 0x20" catches them too */
    __m128i special = _mm_or_si128(_mm_cmplt_epi8(bytes, _mm_set1_epi8(0x20)),
                                   _mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('"')),
                                                _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\\'))));
    /* bit 16 stands for "none": ctz then gives SWAR_CHUNK */
    return (unsigned)__builtin_ctz((unsigned)_mm_movemask_epi8(special) | 0x10000u);
#else
    return swar_copy_find_special_word(dst, src);
#endif
}

#ifdef __SSE2__
/* Copy the 16 bytes at src to dst (any alignment, not overlapping) and return a mask with
 * bit k set when byte k is a '"', a '\\', a control character (< 0x20) or non-ASCII (>= 0x80):
 * exact, so a caller can visit every special byte of the chunk from one load. */
static inline unsigned swar_copy_special_mask(char *dst, const char *src) {
    __m128i bytes = _mm_loadu_si128((const __m128i *)(const void *)src);
    _mm_storeu_si128((__m128i *)(void *)dst, bytes);
    __m128i special = _mm_or_si128(_mm_cmplt_epi8(bytes, _mm_set1_epi8(0x20)),
                                   _mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('"')),
                                                _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\\'))));
    return (unsigned)_mm_movemask_epi8(special);
}
#endif

#ifdef __SSE2__
/* Copy the 16 bytes at src to dst (any alignment, not overlapping) and return a mask with
 * bit k set when byte k is a '"', a '\\' or a control character (< 0x20): as
 * swar_copy_special_mask, for text already known to be well-formed UTF-8, whose non-ASCII
 * bytes are copied as they are. */
static inline unsigned swar_copy_escape_mask(char *dst, const char *src) {
    __m128i bytes = _mm_loadu_si128((const __m128i *)(const void *)src);
    _mm_storeu_si128((__m128i *)(void *)dst, bytes);
    __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(bytes, _mm_set1_epi8(0x1F)), bytes);
    __m128i special = _mm_or_si128(control, _mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('"')),
                                                         _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\\'))));
    return (unsigned)_mm_movemask_epi8(special);
}
#endif

/* Nonzero when a byte of word a or of word b may be a '"', a '\\', a control character
 * (< 0x20) or non-ASCII (>= 0x80); zero when none is. For checking short strings that fit
 * in two (possibly overlapping) words at once. */
static inline unsigned swar_words_need_look(uint64_t a, uint64_t b) {
#ifdef __SSE2__
    __m128i bytes = _mm_set_epi64x((long long)b, (long long)a);
    __m128i special = _mm_or_si128(_mm_cmplt_epi8(bytes, _mm_set1_epi8(0x20)),
                                   _mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('"')),
                                                _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\\'))));
    return (unsigned)_mm_movemask_epi8(special);
#else
    return (swar_string_specials(a) | swar_string_specials(b) | ((a | b) & SWAR_HIGHS)) != 0;
#endif
}

#endif
