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

/* The sequence-by-sequence check: runs of ASCII are skipped a block at a time, so the cost
 * is in the non-ASCII characters; bad_offset may be NULL. The bad offset is where the first
 * ill-formed sequence starts (the E2 of a truncated E2 82). */
static bool utf8_valid_scalar(const char *bytes, size_t len, size_t *bad_offset) {
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

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define UTF8_HAVE_SIMD 1

/* Whole-block UTF-8 validation (the lookup algorithm of Keiser and Lemire, "Validating UTF-8
 * in less than one instruction per byte", 2021): each byte is classified by three 16-entry
 * tables indexed by nibbles (the high and low nibble of the byte before, the high nibble of
 * the byte itself); the AND of the three is an error bit for every ill-formed two-byte
 * pattern (too short, too long, overlong, surrogate, above U+10FFFF), and a third or fourth
 * byte that must be a continuation is checked from the bytes two and three back. Blocks of
 * ASCII only carry the "incomplete at the end" flags over. It says whether the whole input
 * is well-formed, not where it is not: utf8_valid then asks the scalar check for the offset. */
enum {
    UTF8_TOO_SHORT = 1 << 0,
    UTF8_TOO_LONG = 1 << 1,
    UTF8_OVERLONG_3 = 1 << 2,
    UTF8_TOO_LARGE = 1 << 3,
    UTF8_SURROGATE = 1 << 4,
    UTF8_OVERLONG_2 = 1 << 5,
    UTF8_TOO_LARGE_1000 = 1 << 6,
    UTF8_OVERLONG_4 = 1 << 6,
    UTF8_TWO_CONTS = 1 << 7,
    UTF8_CARRY = UTF8_TOO_SHORT | UTF8_TOO_LONG | UTF8_TWO_CONTS,
};

/* The three tables, as sixteen signed bytes each (the order _mm_setr_epi8 takes). */
#define UTF8_BYTE_1_HIGH                                                                     \
    UTF8_TOO_LONG, UTF8_TOO_LONG, UTF8_TOO_LONG, UTF8_TOO_LONG, UTF8_TOO_LONG, UTF8_TOO_LONG,  \
        UTF8_TOO_LONG, UTF8_TOO_LONG, (char)UTF8_TWO_CONTS, (char)UTF8_TWO_CONTS,            \
        (char)UTF8_TWO_CONTS, (char)UTF8_TWO_CONTS, UTF8_TOO_SHORT | UTF8_OVERLONG_2,         \
        UTF8_TOO_SHORT, UTF8_TOO_SHORT | UTF8_OVERLONG_3 | UTF8_SURROGATE,                    \
        UTF8_TOO_SHORT | UTF8_TOO_LARGE | UTF8_TOO_LARGE_1000 | UTF8_OVERLONG_4
#define UTF8_BYTE_1_LOW                                                                      \
    (char)(UTF8_CARRY | UTF8_OVERLONG_3 | UTF8_OVERLONG_2 | UTF8_OVERLONG_4),                 \
        (char)(UTF8_CARRY | UTF8_OVERLONG_2), (char)UTF8_CARRY, (char)UTF8_CARRY,             \
        (char)(UTF8_CARRY | UTF8_TOO_LARGE),                                                 \
        (char)(UTF8_CARRY | UTF8_TOO_LARGE | UTF8_TOO_LARGE_1000),                           \
        (char)(UTF8_CARRY | UTF8_TOO_LARGE | UTF8_TOO_LARGE_1000),                           \
        (char)(UTF8_CARRY | UTF8_TOO_LARGE | UTF8_TOO_LARGE_1000),                           \
        (char)(UTF8_CARRY | UTF8_TOO_LARGE | UTF8_TOO_LARGE_1000),                           \
        (char)(UTF8_CARRY | UTF8_TOO_LARGE | UTF8_TOO_LARGE_1000),                           \
        (char)(UTF8_CARRY | UTF8_TOO_LARGE | UTF8_TOO_LARGE_1000),                           \
        (char)(UTF8_CARRY | UTF8_TOO_LARGE | UTF8_TOO_LARGE_1000),                           \
        (char)(UTF8_CARRY | UTF8_TOO_LARGE | UTF8_TOO_LARGE_1000),                           \
        (char)(UTF8_CARRY | UTF8_TOO_LARGE | UTF8_TOO_LARGE_1000 | UTF8_SURROGATE),          \
        (char)(UTF8_CARRY | UTF8_TOO_LARGE | UTF8_TOO_LARGE_1000),                           \
        (char)(UTF8_CARRY | UTF8_TOO_LARGE | UTF8_TOO_LARGE_1000)
#define UTF8_BYTE_2_HIGH                                                                     \
    UTF8_TOO_SHORT, UTF8_TOO_SHORT, UTF8_TOO_SHORT, UTF8_TOO_SHORT, UTF8_TOO_SHORT,           \
        UTF8_TOO_SHORT, UTF8_TOO_SHORT, UTF8_TOO_SHORT,                                      \
        (char)(UTF8_TOO_LONG | UTF8_OVERLONG_2 | UTF8_TWO_CONTS | UTF8_OVERLONG_3 |          \
               UTF8_TOO_LARGE_1000 | UTF8_OVERLONG_4),                                       \
        (char)(UTF8_TOO_LONG | UTF8_OVERLONG_2 | UTF8_TWO_CONTS | UTF8_OVERLONG_3 |          \
               UTF8_TOO_LARGE),                                                              \
        (char)(UTF8_TOO_LONG | UTF8_OVERLONG_2 | UTF8_TWO_CONTS | UTF8_SURROGATE |           \
               UTF8_TOO_LARGE),                                                              \
        (char)(UTF8_TOO_LONG | UTF8_OVERLONG_2 | UTF8_TWO_CONTS | UTF8_SURROGATE |           \
               UTF8_TOO_LARGE),                                                              \
        UTF8_TOO_SHORT, UTF8_TOO_SHORT, UTF8_TOO_SHORT, UTF8_TOO_SHORT
/* Bytes above these in the last three places of a block start a sequence it cuts short. */
#define UTF8_INCOMPLETE_TAIL (char)0xEF, (char)0xDF, (char)0xBF

/* The error bits of block in given the block before it (prev). SSSE3: 16 bytes a step. */
__attribute__((target("ssse3"))) static inline __m128i utf8_block_errors_ssse3(__m128i in,
                                                                               __m128i prev) {
    const __m128i byte_1_high = _mm_setr_epi8(UTF8_BYTE_1_HIGH);
    const __m128i byte_1_low = _mm_setr_epi8(UTF8_BYTE_1_LOW);
    const __m128i byte_2_high = _mm_setr_epi8(UTF8_BYTE_2_HIGH);
    const __m128i nibble = _mm_set1_epi8(0x0F);
    __m128i prev1 = _mm_alignr_epi8(in, prev, 15);
    __m128i special = _mm_and_si128(
        _mm_and_si128(_mm_shuffle_epi8(byte_1_high, _mm_and_si128(_mm_srli_epi16(prev1, 4), nibble)),
                      _mm_shuffle_epi8(byte_1_low, _mm_and_si128(prev1, nibble))),
        _mm_shuffle_epi8(byte_2_high, _mm_and_si128(_mm_srli_epi16(in, 4), nibble)));
    __m128i third = _mm_subs_epu8(_mm_alignr_epi8(in, prev, 14), _mm_set1_epi8(0xE0 - 0x80));
    __m128i fourth = _mm_subs_epu8(_mm_alignr_epi8(in, prev, 13), _mm_set1_epi8(0xF0 - 0x80));
    __m128i must_continue = _mm_and_si128(_mm_or_si128(third, fourth), _mm_set1_epi8((char)0x80));
    return _mm_xor_si128(must_continue, special);
}

/* See the block comment above: SSSE3, 16 bytes a step. */
__attribute__((target("ssse3"))) static bool utf8_valid_ssse3(const unsigned char *p, size_t len) {
    const __m128i incomplete_above = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                                   -1, -1, UTF8_INCOMPLETE_TAIL);
    __m128i prev = _mm_setzero_si128(), error = _mm_setzero_si128();
    __m128i prev_incomplete = _mm_setzero_si128();
    size_t i = 0;
    for (;; i += 16) {
        __m128i in;
        if (len - i >= 16) {
            in = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        } else if (i < len) { /* the last bytes, padded with NULs: ASCII ends any sequence */
            unsigned char last[16] = {0};
            memcpy(last, p + i, len - i);
            in = _mm_loadu_si128((const __m128i *)(const void *)last);
        } else {
            break;
        }
        if (!_mm_movemask_epi8(in)) {
            error = _mm_or_si128(error, prev_incomplete);
            prev_incomplete = _mm_setzero_si128();
        } else {
            error = _mm_or_si128(error, utf8_block_errors_ssse3(in, prev));
            prev_incomplete = _mm_subs_epu8(in, incomplete_above);
        }
        prev = in;
        if (len - i <= 16) break;
    }
    error = _mm_or_si128(error, prev_incomplete);
    return _mm_movemask_epi8(_mm_cmpeq_epi8(error, _mm_setzero_si128())) == 0xFFFF;
}

/* The error bits of block in given the block before it (prev). AVX2: 32 bytes a step. */
__attribute__((target("avx2"))) static inline __m256i utf8_block_errors_avx2(__m256i in,
                                                                             __m256i prev) {
    const __m256i byte_1_high = _mm256_setr_epi8(UTF8_BYTE_1_HIGH, UTF8_BYTE_1_HIGH);
    const __m256i byte_1_low = _mm256_setr_epi8(UTF8_BYTE_1_LOW, UTF8_BYTE_1_LOW);
    const __m256i byte_2_high = _mm256_setr_epi8(UTF8_BYTE_2_HIGH, UTF8_BYTE_2_HIGH);
    const __m256i nibble = _mm256_set1_epi8(0x0F);
    /* the bytes 1, 2 and 3 places back, across the two lanes and the block before */
    __m256i across = _mm256_permute2x128_si256(prev, in, 0x21);
    __m256i prev1 = _mm256_alignr_epi8(in, across, 15);
    __m256i special = _mm256_and_si256(
        _mm256_and_si256(
            _mm256_shuffle_epi8(byte_1_high, _mm256_and_si256(_mm256_srli_epi16(prev1, 4), nibble)),
            _mm256_shuffle_epi8(byte_1_low, _mm256_and_si256(prev1, nibble))),
        _mm256_shuffle_epi8(byte_2_high, _mm256_and_si256(_mm256_srli_epi16(in, 4), nibble)));
    __m256i third = _mm256_subs_epu8(_mm256_alignr_epi8(in, across, 14), _mm256_set1_epi8(0xE0 - 0x80));
    __m256i fourth = _mm256_subs_epu8(_mm256_alignr_epi8(in, across, 13), _mm256_set1_epi8(0xF0 - 0x80));
    __m256i must_continue =
        _mm256_and_si256(_mm256_or_si256(third, fourth), _mm256_set1_epi8((char)0x80));
    return _mm256_xor_si256(must_continue, special);
}

/* See the block comment above: AVX2, 32 bytes a step. */
__attribute__((target("avx2"))) static bool utf8_valid_avx2(const unsigned char *p, size_t len) {
    const __m256i incomplete_above = _mm256_setr_epi8(
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, UTF8_INCOMPLETE_TAIL);
    __m256i prev = _mm256_setzero_si256(), error = _mm256_setzero_si256();
    __m256i prev_incomplete = _mm256_setzero_si256();
    size_t i = 0;
    for (;; i += 32) {
        __m256i in;
        if (len - i >= 32) {
            in = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
        } else if (i < len) { /* the last bytes, padded with NULs: ASCII ends any sequence */
            unsigned char last[32] = {0};
            memcpy(last, p + i, len - i);
            in = _mm256_loadu_si256((const __m256i *)(const void *)last);
        } else {
            break;
        }
        if (!_mm256_movemask_epi8(in)) {
            error = _mm256_or_si256(error, prev_incomplete);
            prev_incomplete = _mm256_setzero_si256();
        } else {
            error = _mm256_or_si256(error, utf8_block_errors_avx2(in, prev));
            prev_incomplete = _mm256_subs_epu8(in, incomplete_above);
        }
        prev = in;
        if (len - i <= 32) break;
    }
    error = _mm256_or_si256(error, prev_incomplete);
    return _mm256_testz_si256(error, error);
}
#endif

/* The implementation utf8_valid runs: the widest this processor has (utf8_choose). */
static utf8_impl chosen_impl = UTF8_IMPL_SCALAR;

/* Pick the widest implementation the processor supports, once, before main runs (so no
 * thread ever races on chosen_impl). */
__attribute__((constructor)) static void utf8_choose(void) {
    chosen_impl = utf8_impl_widest();
}

/* See utf8.h. */
utf8_impl utf8_impl_widest(void) {
#ifdef UTF8_HAVE_SIMD
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) return UTF8_IMPL_AVX2;
    if (__builtin_cpu_supports("ssse3")) return UTF8_IMPL_SSSE3;
#endif
    return UTF8_IMPL_SCALAR;
}

/* See utf8.h. */
bool utf8_impl_set(utf8_impl impl) {
    if (impl > utf8_impl_widest()) return false;
    chosen_impl = impl;
    return true;
}

/* See json.h. Inputs with non-ASCII bytes go through the block check of the chosen
 * implementation from the first of them; only ill-formed ones then take the
 * sequence-by-sequence check, which finds the bad offset. */
bool utf8_valid(const char *bytes, size_t len, size_t *bad_offset) {
    const unsigned char *p = (const unsigned char *)bytes;
    size_t ascii = first_non_ascii(p, len);
    if (ascii == len) return true;
#ifdef UTF8_HAVE_SIMD
    /* from the first non-ASCII byte: a block check starting there sees a sequence whole */
    if (chosen_impl != UTF8_IMPL_SCALAR) {
        bool valid = chosen_impl == UTF8_IMPL_AVX2 ? utf8_valid_avx2(p + ascii, len - ascii)
                                                   : utf8_valid_ssse3(p + ascii, len - ascii);
        if (valid) return true;
    }
#endif
    if (!utf8_valid_scalar(bytes + ascii, len - ascii, bad_offset)) {
        if (bad_offset) *bad_offset += ascii;
        return false;
    }
    return true;
}
